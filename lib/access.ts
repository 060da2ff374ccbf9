import crypto from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Optional access control, off unless configured:
 *   PAYSCOPE_INGEST_TOKEN  OTLP (HTTP and gRPC) requires `Authorization: Bearer <token>`
 *                          (exporters: OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer <token>")
 *   PAYSCOPE_API_TOKEN     dashboard and JSON API require `Authorization: Bearer <token>`, or HTTP
 *                          Basic auth with the token as password (any user name) so a browser can log in
 * `/api/health` stays open for load balancers; it reports no data.
 */

function safeEqual(a: string, b: string): boolean {
  const x = crypto.createHash('sha256').update(a).digest();
  const y = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(x, y);
}

/** The credential a request presents: a bearer token, or the password of Basic auth. */
export function presentedToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const m = /^(Bearer|Basic)\s+(.+)$/i.exec(authorization.trim());
  if (!m) return undefined;
  if (m[1].toLowerCase() === 'bearer') return m[2].trim();
  const decoded = Buffer.from(m[2], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : undefined;
}

/** True when no token is configured, or the request presents it. */
export function isAuthorized(token: string | undefined, headers: IncomingHttpHeaders | { authorization?: string }): boolean {
  if (!token) return true;
  const presented = presentedToken(headers.authorization as string | undefined);
  return presented !== undefined && safeEqual(presented, token);
}
