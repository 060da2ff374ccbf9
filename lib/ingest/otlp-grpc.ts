import * as grpc from '@grpc/grpc-js';
import { decodeTraceRequestProtobuf, encodeExportTraceServiceResponse, OtlpDecodeError } from './otlp';
import { OverloadedError, type IngestPipeline } from './pipeline';
import { StoreUnavailableError } from '../store/store';
import { isAuthorized } from '../access';

/**
 * OTLP/gRPC `TraceService/Export`. Messages stay raw bytes (identity (de)serializers) and go through
 * the same decoder and pipeline as OTLP/HTTP protobuf. Status codes follow the OTLP spec: bad data
 * INVALID_ARGUMENT (not retried), overload or store down UNAVAILABLE (retried by exporters).
 */
const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

const identity = (b: Buffer) => b;

export interface OtlpGrpcOptions {
  pipeline: IngestPipeline;
  maxBodyBytes: number;
  /** Bearer token the call's `authorization` metadata must carry; undefined = open. */
  token?: string;
}

export function createOtlpGrpcServer(opts: OtlpGrpcOptions): grpc.Server {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': opts.maxBodyBytes,
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
    if (!isAuthorized(opts.token, { authorization: String(call.metadata.get('authorization')[0] ?? '') })) {
      callback({ code: grpc.status.UNAUTHENTICATED, details: 'missing or wrong ingest token: send authorization: Bearer <PAYSCOPE_INGEST_TOKEN>' });
      return;
    }
    const early = opts.pipeline.refusal(0);
    if (early) {
      callback({ code: grpc.status.UNAVAILABLE, details: early.message });
      return;
    }
    let decoded;
    try {
      decoded = decodeTraceRequestProtobuf(call.request);
    } catch (err) {
      const message = err instanceof OtlpDecodeError ? err.message : `internal error: ${(err as Error).message}`;
      callback({ code: err instanceof OtlpDecodeError ? grpc.status.INVALID_ARGUMENT : grpc.status.INTERNAL, details: message });
      return;
    }
    if (decoded.accepted === 0 && decoded.rejected > 0) {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: decoded.errorMessage });
      return;
    }
    opts.pipeline.submit(decoded.rows, decoded.accepted, () => call.cancelled).then(
      () => callback(null, Buffer.from(encodeExportTraceServiceResponse(decoded.rejected, decoded.errorMessage))),
      (err: Error) => {
        const retryable = err instanceof OverloadedError || err instanceof StoreUnavailableError;
        callback({ code: retryable ? grpc.status.UNAVAILABLE : grpc.status.INTERNAL, details: err.message });
      },
    );
  };
  server.addService(definition, { Export } as grpc.UntypedServiceImplementation);
  return server;
}

export function listenGrpc(server: grpc.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
}
