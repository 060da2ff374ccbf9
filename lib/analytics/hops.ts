import type { CriticalPathResult } from './critical-path';
import type { CallSpan } from './span';

/**
 * Hops: the edges of a payment's call graph, from parent/child client/server spans.
 *
 *   checkout  CLIENT ─┐                      a client span whose child is a SERVER span of another
 *   order     SERVER ◄┘  = checkout → order   service: one service→service hop
 *
 *   adapter-card CLIENT  (server.address = api.stripe.com)
 *                        = adapter-card → stripe   a call to a payment gateway: service→gateway hop
 *                                                  (even when the mock gateway has its own server span)
 *   inventory CLIENT  (server.address = postgres, nothing answered)  = inventory → postgres  (external:
 *                     databases, caches and uninstrumented services, named by their host)
 *
 * Precedence for the target of a client span: gateway, then the service of its server child, then
 * the peer host. The server child is the earliest server span under the client; when it belongs to
 * the client's own service it is not a hop target (ClickHouse takes any one when a client span has
 * several server children, which HTTP and RPC calls do not). Producer/consumer spans count as
 * client/server.
 *
 * Self time of one call: its duration minus the time the callee spent in its own outgoing calls
 * (the client spans directly under the callee's server span), never below zero. The outgoing time
 * is the smaller of their summed durations and the time from the first one's start to the last
 * one's end: exact for calls made one after another and for calls made all at once, and cheap to
 * compute in ClickHouse with plain aggregates:
 *
 *   checkout → payment  |==============================|  40
 *   payment SERVER        |==========================|
 *     payment → adapter      |=========|  |====|          one after another: 10 + 5 = 15
 *   self = 40 - 15 = 25
 *
 *     payment → fx             |=====|                   at once: sum 8 + 6 = 14, first start to
 *     payment → risk             |=====|                 last end = 8, outgoing = 8
 */

export type HopTargetKind = 'service' | 'gateway' | 'external';

/** A span as the hop walk reads it, with the two facts a client span's target is named from. */
export type HopSpan = CallSpan & {
  /** Resolved gateway ('' when none), see gateways.ts. */
  gateway: string;
  peerHost: string;
};

export interface Hop {
  from: string;
  to: string;
  toKind: HopTargetKind;
}

const isCaller = (kind: string) => kind === 'client' || kind === 'producer';
const isCallee = (kind: string) => kind === 'server' || kind === 'consumer';

/** The earliest server/consumer child of a client span (ties: lowest span id). */
function firstCallee(kids: readonly HopSpan[] | undefined): HopSpan | undefined {
  let best: HopSpan | undefined;
  for (const k of kids ?? []) {
    if (!isCallee(k.kind)) continue;
    if (!best || k.startMs < best.startMs || (k.startMs === best.startMs && k.spanId < best.spanId)) best = k;
  }
  return best;
}

/** The hop a client span makes, given its server child (if any); null when nothing names a target. */
export function hopOf(client: HopSpan, serverChild: HopSpan | undefined): Hop | null {
  if (!isCaller(client.kind)) return null;
  if (client.gateway !== '') return { from: client.service, to: client.gateway, toKind: 'gateway' };
  if (serverChild && serverChild.service !== client.service) return { from: client.service, to: serverChild.service, toKind: 'service' };
  if (client.peerHost !== '') return { from: client.service, to: client.peerHost, toKind: 'external' };
  return null;
}

export const hopKey = (h: Hop) => `${h.from}\u0000${h.to}\u0000${h.toKind}`;

/** Time spent in outgoing calls [start, end): min(sum of durations, last end - first start). */
export function outgoingTime(calls: readonly (readonly [number, number])[]): number {
  if (!calls.length) return 0;
  let sum = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (const [s, e] of calls) {
    sum += e - s;
    lo = Math.min(lo, s);
    hi = Math.max(hi, e);
  }
  return Math.min(sum, hi - lo);
}

export interface HopCall {
  hop: Hop;
  client: HopSpan;
  serverChild: HopSpan | undefined;
  /** Duration minus the callee's own outgoing calls (`outgoingTime`), >= 0. */
  self: number;
}

/** Every hop call in one trace (or any set of spans), with its self time. */
export function hopCalls(spans: readonly HopSpan[]): HopCall[] {
  const children = new Map<string, HopSpan[]>();
  for (const s of spans) {
    const list = children.get(s.parentSpanId);
    if (list) list.push(s);
    else children.set(s.parentSpanId, [s]);
  }
  const out: HopCall[] = [];
  for (const c of spans) {
    if (!isCaller(c.kind)) continue;
    const callee = firstCallee(children.get(c.spanId));
    const serverChild = callee && callee.service !== c.service ? callee : undefined;
    const hop = hopOf(c, serverChild);
    if (!hop) continue;
    let downstream = 0;
    if (serverChild) {
      const calls = (children.get(serverChild.spanId) ?? []).filter((k) => isCaller(k.kind));
      downstream = outgoingTime(calls.map((k) => [k.startMs, k.startMs + k.durationMs] as const));
    }
    out.push({ hop, client: c, serverChild, self: Math.max(0, c.durationMs - downstream) });
  }
  return out;
}

/**
 * Critical-path time per hop in one trace. Each path segment is blamed on the innermost hop in
 * flight: a segment of a client span or of the server span (or anything below it in the same
 * service) that answered it belongs to that client's hop; the root service's own work belongs to no
 * hop. So the shares of all hops plus the root's own time add up to the trace's duration.
 *
 *   checkout SERVER  |=================================|   root: no hop
 *   checkout CLIENT     |=======================|          ┐
 *   payment  SERVER       |===================|            ┘ checkout → payment
 *   payment  CLIENT          |==========|                  ┐
 *   adapter  SERVER           |========|                   ┘ payment → adapter-card
 */
export function criticalPathByHop(spans: readonly HopSpan[], path: CriticalPathResult): Map<string, { hop: Hop; time: number }> {
  const byId = new Map<string, HopSpan>();
  for (const s of spans) if (!byId.has(s.spanId)) byId.set(s.spanId, s);
  const hopByClient = new Map<string, Hop>();
  for (const call of hopCalls(spans)) hopByClient.set(call.client.spanId, call.hop);
  const blame = new Map<string, Hop | null>();
  const hopFor = (spanId: string): Hop | null => {
    if (blame.has(spanId)) return blame.get(spanId)!;
    const chain: string[] = [];
    let id: string | undefined = spanId;
    let found: Hop | null = null;
    const seen = new Set<string>();
    while (id !== undefined && !seen.has(id)) {
      seen.add(id);
      chain.push(id);
      const h = hopByClient.get(id);
      if (h) {
        found = h;
        break;
      }
      if (blame.has(id)) {
        found = blame.get(id)!;
        break;
      }
      const s = byId.get(id);
      id = s && s.parentSpanId !== '' && byId.has(s.parentSpanId) ? s.parentSpanId : undefined;
    }
    for (const c of chain) blame.set(c, found);
    return found;
  };
  const out = new Map<string, { hop: Hop; time: number }>();
  for (const seg of path.segments) {
    const hop = hopFor(seg.spanId);
    if (!hop) continue;
    const k = hopKey(hop);
    const cur = out.get(k);
    if (cur) cur.time += seg.end - seg.start;
    else out.set(k, { hop, time: seg.end - seg.start });
  }
  return out;
}
