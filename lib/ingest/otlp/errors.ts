/**
 * Thrown for a malformed OTLP request body (bad protobuf wire format, garbage JSON, wrong shape).
 * The message is meant for the client: the receiver answers 400 with it.
 */
export class OtlpDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OtlpDecodeError';
  }
}
