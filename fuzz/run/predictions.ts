// The answer each input is due, from the oracle (the decoders themselves, in this process).
import { predictDecode, predictHttp, type Prediction } from '../oracle';
import { MAX_BODY_BYTES, type Sent } from './model';

/**
 * Corpus files and generated cases are sent as they are again and again: their predictions are
 * kept (by body object and headers) instead of decoding MiB again in this process.
 */
export class PredictionCache {
  private readonly byBody = new WeakMap<Uint8Array, Map<string, Prediction>>();

  constructor(private readonly token: string | undefined) {}

  predict(sent: Sent): Prediction {
    // without the token nothing else is looked at (after the method, always POST here)
    if (this.token && sent.auth && sent.auth !== 'ok') return { status: 401, accepted: 0, rejected: 0 };
    const key = `${sent.transport} ${sent.contentType} ${sent.contentEncoding}`;
    const known = this.byBody.get(sent.body)?.get(key);
    if (known) return known;
    const p =
      sent.transport === 'grpc'
        ? sent.body.length > MAX_BODY_BYTES
          ? { status: 413 as const, accepted: 0, rejected: 0 }
          : predictDecode(sent.body, 'protobuf')
        : predictHttp(sent.body, sent, MAX_BODY_BYTES);
    if (!this.byBody.has(sent.body)) this.byBody.set(sent.body, new Map());
    this.byBody.get(sent.body)!.set(key, p);
    return p;
  }
}
