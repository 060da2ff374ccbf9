import * as grpc from '@grpc/grpc-js';
import { encodeExportTraceServiceResponse, OtlpDecodeError, type DecodeResult } from './otlp';
import { OverloadedError, SpansRejectedError, type IngestPipeline } from './pipeline';
import { StoreUnavailableError } from '../store/store';
import { isAuthorized } from '../access';
import { decodeBody, type PoolDecodeOptions } from './decode-job';
import type { DecodePool } from './decode-pool';
import type { ReceiverMetrics } from '../metrics';

/**
 * OTLP/gRPC `TraceService/Export`. Messages stay raw bytes (identity (de)serializers) and go through
 * the same decoder and pipeline as OTLP/HTTP protobuf. Status codes follow the OTLP spec: bad data
 * INVALID_ARGUMENT (not retried), overload or store down UNAVAILABLE (retried by exporters).
 * The token and overload are checked on the call's metadata, before its message is read: a
 * refused client never gets to have its message buffered.
 */
const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

const identity = (b: Buffer) => b;

/** The metrics' reason, as OTLP/HTTP tells them by status: 429 busy, 503 unavailable. */
const overloadReason = (err: OverloadedError) => (err.status === 503 ? 'unavailable' : 'overload');

export interface OtlpGrpcOptions {
  pipeline: IngestPipeline;
  maxBodyBytes: number;
  /** Bearer token the call's `authorization` metadata must carry; undefined = open. */
  token?: string;
  /** Decodes large messages off the event loop; without it every message is decoded inline. */
  decoder?: DecodePool;
  /** Forwarded to the decoder. */
  decodeOptions?: PoolDecodeOptions;
  /** Concurrent calls (HTTP/2 streams) per connection. @default 100 */
  maxConcurrentStreams?: number;
  /** A connection with no call for this long is closed (GOAWAY). @default 300_000 */
  maxConnectionIdleMs?: number;
  /** A connection is asked to go away (GOAWAY) after this long... @default 1_800_000 */
  maxConnectionAgeMs?: number;
  /** ...and closed this much later, cutting off calls still running. @default 30_000 */
  maxConnectionAgeGraceMs?: number;
  /**
   * Counts accepted and refused spans and calls. A message over `maxBodyBytes` is refused by grpc-js
   * (RESOURCE_EXHAUSTED) before payscope sees it, and is not counted.
   */
  metrics?: ReceiverMetrics;
}

/** Refuses a call on its metadata (token, overload) before any of its message is read. */
function admission(opts: OtlpGrpcOptions): grpc.ServerInterceptor {
  return (_method, call) => {
    const listener = new grpc.ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        if (!isAuthorized(opts.token, { authorization: String(metadata.get('authorization')[0] ?? '') })) {
          opts.metrics?.refused('grpc', 'unauthenticated', 0);
          call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: 'missing or wrong ingest token: send authorization: Bearer <PAYSCOPE_INGEST_TOKEN>' });
          return;
        }
        const early = opts.pipeline.refusal(0);
        if (early) {
          opts.metrics?.refused('grpc', overloadReason(early), 0);
          call.sendStatus({ code: grpc.status.UNAVAILABLE, details: early.message });
          return;
        }
        next(metadata);
      })
      .build();
    return new grpc.ServerInterceptingCall(call, new grpc.ResponderBuilder().withStart((next) => next(listener)).build());
  };
}

export function createOtlpGrpcServer(opts: OtlpGrpcOptions): grpc.Server {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': opts.maxBodyBytes,
    'grpc.max_concurrent_streams': opts.maxConcurrentStreams ?? 100,
    'grpc.max_connection_idle_ms': opts.maxConnectionIdleMs ?? 300_000,
    'grpc.max_connection_age_ms': opts.maxConnectionAgeMs ?? 1_800_000,
    'grpc.max_connection_age_grace_ms': opts.maxConnectionAgeGraceMs ?? 30_000,
    interceptors: [admission(opts)],
  });
  const definition: grpc.ServiceDefinition = {
    Export: {
      path: EXPORT_PATH,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  };
  const Export: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
    void (async () => {
      let decoded: DecodeResult;
      try {
        // grpc-js gives each message a buffer of its own (the frame it gathered, or the inflated
        // message): handing it over whole saves copying a large message on the event loop.
        decoded = opts.decoder
          ? await opts.decoder.decode('protobuf', call.request, opts.decodeOptions, true)
          : decodeBody('protobuf', call.request, opts.decodeOptions);
      } catch (err) {
        if (err instanceof OverloadedError) {
          opts.metrics?.refused('grpc', overloadReason(err), 0);
          return callback({ code: grpc.status.UNAVAILABLE, details: err.message });
        }
        opts.metrics?.refused('grpc', err instanceof OtlpDecodeError ? 'invalid' : 'internal', 0);
        const message = err instanceof OtlpDecodeError ? err.message : `internal error: ${(err as Error).message}`;
        return callback({ code: err instanceof OtlpDecodeError ? grpc.status.INVALID_ARGUMENT : grpc.status.INTERNAL, details: message });
      }
      if (decoded.accepted === 0 && decoded.rejected > 0) {
        opts.metrics?.refused('grpc', 'invalid', decoded.rejected);
        return callback({ code: grpc.status.INVALID_ARGUMENT, details: decoded.errorMessage });
      }
      try {
        await opts.pipeline.submit(decoded.rows, decoded.accepted, () => call.cancelled);
      } catch (err) {
        const retryable = err instanceof OverloadedError || err instanceof StoreUnavailableError;
        const code = retryable ? grpc.status.UNAVAILABLE : err instanceof SpansRejectedError ? grpc.status.INVALID_ARGUMENT : grpc.status.INTERNAL;
        const reason = err instanceof OverloadedError ? overloadReason(err)
          : err instanceof StoreUnavailableError ? 'unavailable' : err instanceof SpansRejectedError ? 'rejected' : 'internal';
        opts.metrics?.refused('grpc', reason, decoded.accepted + decoded.rejected);
        return callback({ code, details: (err as Error).message });
      }
      // The client gave up while its spans waited: they were left out, and its exporter sends them again.
      if (!call.cancelled) {
        opts.metrics?.accepted('grpc', decoded.accepted);
        if (decoded.rejected > 0) opts.metrics?.refused('grpc', 'invalid', decoded.rejected, false);
      }
      callback(null, Buffer.from(encodeExportTraceServiceResponse(decoded.rejected, decoded.errorMessage)));
    })();
  };
  server.addService(definition, { Export } as grpc.UntypedServiceImplementation);
  return server;
}

export function listenGrpc(server: grpc.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
}
