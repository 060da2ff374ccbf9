import crypto from 'node:crypto';
import type { Store } from '../../lib/store/store';

/**
 * Hand-written spans for query tests, inserted as JSONEachRow into otel_traces (so every
 * materialized column and view fills exactly as for ingested spans). Times are ms after `t0`.
 */
export interface FixtureSpan {
  trace: string;
  id: string;
  parent?: string;
  service: string;
  name: string;
  kind?: 'Server' | 'Client' | 'Internal' | 'Producer' | 'Consumer';
  start: number;
  dur: number;
  attrs?: Record<string, string>;
  /** Resource attributes besides service.name. */
  resource?: Record<string, string>;
  status?: 'Unset' | 'Ok' | 'Error';
  statusMessage?: string;
  events?: { at: number; name: string; attrs?: Record<string, string> }[];
}

/** A stable 32-hex trace id / 16-hex span id for a readable fixture name. */
export const traceIdOf = (name: string) => crypto.createHash('sha1').update(`trace:${name}`).digest('hex').slice(0, 32);
export const spanIdOf = (name: string) => crypto.createHash('sha1').update(`span:${name}`).digest('hex').slice(0, 16);

/** ClickHouse DateTime64(9) text for t0 + ms (fractional ms kept to the nanosecond). */
export function chTime(t0Ms: number, ms: number): string {
  const total = t0Ms + ms;
  const whole = Math.floor(total);
  const ns = Math.round((total - whole) * 1e6);
  const iso = new Date(whole).toISOString(); // 2025-03-01T10:00:00.123Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}${String(ns).padStart(6, '0')}`;
}

export function fixtureRows(spans: readonly FixtureSpan[], t0Ms: number): Record<string, unknown>[] {
  return spans.map((s) => ({
    Timestamp: chTime(t0Ms, s.start),
    TraceId: traceIdOf(s.trace),
    SpanId: spanIdOf(s.id),
    ParentSpanId: s.parent ? spanIdOf(s.parent) : '',
    TraceState: '',
    SpanName: s.name,
    SpanKind: s.kind ?? 'Server',
    ServiceName: s.service,
    ResourceAttributes: { ...s.resource, 'service.name': s.service },
    ScopeName: 'fixture',
    ScopeVersion: '1',
    SpanAttributes: s.attrs ?? {},
    Duration: String(Math.round(s.dur * 1e6)),
    StatusCode: s.status ?? 'Unset',
    StatusMessage: s.statusMessage ?? '',
    'Events.Timestamp': (s.events ?? []).map((e) => chTime(t0Ms, e.at)),
    'Events.Name': (s.events ?? []).map((e) => e.name),
    'Events.Attributes': (s.events ?? []).map((e) => e.attrs ?? {}),
    'Links.TraceId': [],
    'Links.SpanId': [],
    'Links.TraceState': [],
    'Links.Attributes': [],
  }));
}

export async function insertFixture(store: Store, spans: readonly FixtureSpan[], t0Ms: number): Promise<void> {
  await store.client.insert({
    table: 'otel_traces',
    values: fixtureRows(spans, t0Ms),
    format: 'JSONEachRow',
    clickhouse_settings: { async_insert: 0, date_time_input_format: 'best_effort' },
  });
}
