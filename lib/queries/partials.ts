import { join, sql, typed, UNSAFE_RAW_SQL, type SqlFragment } from '../store/sql';
import type { Store } from '../store/store';
import type { TimeRange } from './common';

/**
 * Hourly partial results (issue 13; docs/dashboard.md "24-hour queries"): a query that groups a
 * range's flows or calls reads, for each whole hour of the range, rows computed earlier for that
 * hour, and reads the spans only for the rest. Answers stay exact because a partial is used only
 * while no insert came after it into an hour it depends on.
 *
 * How validity is known. `span_hours` (migration 0050, a view on otel_traces) records, for every
 * insert, the hours its spans fall in and when (InsertedAt). A kind's rows for hour H are computed
 * by `computePartials` (the `partials` job) and then marked in `partial_hours` with `Covers`: every
 * insert before that time is in them. The partial for H is valid when Covers > the last insert into
 * hours H - before … H + after (the hours whose spans the kind reads to answer for H).
 *
 *   hours      H-1        H          H+1
 *   spans   |........|..........|.........|     a kind with before = after = 1 reads all three
 *   insert                ^ after Covers        → H (and H-1, H+1's own partials) read from spans
 *
 * Contract for a kind (register it with `registerPartialKind`, or a source of kinds with
 * `registerPartialKindSource` when they depend on stored settings, like saved funnels):
 * - `name` is unique and stable: it tags every row (column `Kind`). Put whatever changes the answer
 *   (a funnel's definition, the gateway host table) into the name, so a changed setting starts a new
 *   kind and the old rows are never read for it.
 * - `table` has the columns `Kind LowCardinality(String), Hour DateTime('UTC'),
 *   Covers DateTime64(6, 'UTC')` and the kind's own; it is in TTL_TARGETS (clickhouse/migrate.ts).
 * - `compute(store, hour, tag, signal)` inserts the rows for [hour, hour + 1 h) with the columns
 *   `tag` gives (`SELECT ${tag}, …` yields Kind, Hour, Covers), from the same SQL the query uses for
 *   hours without a partial, so both give the same answer by construction. It may write no row (an
 *   hour without spans); the mark alone then says "nothing here".
 * - The query: `planPartials(store, kind, range)` → `hours` (read rows where `partialRowsWhere(kind,
 *   plan)`) and `live` (ranges to read from the spans: the range's partial hours at both ends, the
 *   current hour, hours without a valid partial). A query never computes partials itself. A kind
 *   whose rows each carry a time (one row per span or entry, not per group) can pass `clip` and keep
 *   the rows of its range: then only the current hour and hours without a valid partial are live.
 *
 * The job computes closed hours only, newest first, a bounded number per run, and an hour only once
 * every hour it depends on is closed and has had no insert for `settleMs` (Covers is set that far in
 * the past, so an insert still being written when the job starts is not counted as covered).
 */

export const HOUR_MS = 3_600_000;

export interface PartialKind {
  name: string;
  /** Hours before and after an hour whose spans its partial reads. */
  before: number;
  after: number;
  /** The table holding the kind's rows (a plain identifier). */
  table: string;
  compute(store: Store, hour: Date, tag: SqlFragment, signal: AbortSignal): Promise<void>;
}

export interface PartialPlan {
  /** Hours answered by partial rows (whole, or clipped to the range), with the version (Covers) to read. */
  hours: { hour: Date; covers: string }[];
  /** Ranges to read from the spans, in order, not overlapping. */
  live: TimeRange[];
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const kinds = new Map<string, PartialKind>();
const sources: ((store: Store) => Promise<PartialKind[]>)[] = [];

function checked(kind: PartialKind): PartialKind {
  if (!IDENTIFIER.test(kind.table)) throw new Error(`partial kind ${kind.name}: table must be a plain identifier`);
  if (!(Number.isInteger(kind.before) && kind.before >= 0 && Number.isInteger(kind.after) && kind.after >= 0)) {
    throw new Error(`partial kind ${kind.name}: before and after are whole hours >= 0`);
  }
  return kind;
}

/** Registers a kind the `partials` job keeps up to date. */
export function registerPartialKind(kind: PartialKind): PartialKind {
  kinds.set(kind.name, checked(kind));
  return kind;
}

/** Registers a function listing kinds that depend on stored settings (saved funnels). */
export function registerPartialKindSource(source: (store: Store) => Promise<PartialKind[]>): void {
  sources.push(source);
}

/** Every registered kind, the sources' current ones included. */
export async function partialKinds(store: Store): Promise<PartialKind[]> {
  const all = new Map(kinds);
  for (const source of sources) for (const k of await source(store)) all.set(k.name, checked(k));
  return [...all.values()];
}

const floorHour = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;
const ceilHour = (ms: number) => Math.ceil(ms / HOUR_MS) * HOUR_MS;

/** Latest Covers per hour of a kind, and latest insert per hour, over [fromMs, toMs). */
async function hourStates(store: Store, kind: PartialKind, fromMs: number, toMs: number) {
  const from = new Date(fromMs);
  const to = new Date(toMs);
  const depFrom = new Date(fromMs - kind.before * HOUR_MS);
  const depTo = new Date(toMs + kind.after * HOUR_MS);
  const [marks, inserts] = await Promise.all([
    store.query<{ h: string; c: string }>(sql`
      SELECT toUnixTimestamp(Hour) AS h, toString(max(Covers)) AS c FROM partial_hours
      WHERE Kind = ${kind.name} AND Hour >= ${from} AND Hour < ${to} GROUP BY Hour`),
    store.query<{ h: string; i: string }>(sql`
      SELECT toUnixTimestamp(Hour) AS h, toString(max(InsertedAt)) AS i FROM span_hours
      WHERE Hour >= ${depFrom} AND Hour < ${depTo} GROUP BY Hour`),
  ]);
  const covers = new Map(marks.map((r) => [Number(r.h) * 1000, r.c]));
  const lastInsert = new Map(inserts.map((r) => [Number(r.h) * 1000, r.i]));
  // DateTime64(6) as text ('YYYY-MM-DD hh:mm:ss.ffffff') sorts as it compares.
  const lastInsertAround = (h: number): string => {
    let last = '';
    for (let d = h - kind.before * HOUR_MS; d <= h + kind.after * HOUR_MS; d += HOUR_MS) {
      const i = lastInsert.get(d);
      if (i !== undefined && i > last) last = i;
    }
    return last;
  };
  return { covers, lastInsertAround };
}

/** At most this many live ranges: more are merged across their smallest gaps (a read of spans is exact either way). */
const MAX_LIVE_RANGES = 8;

/**
 * Which hours of `range` have a valid partial of `kind`, and which ranges must be read from the
 * spans. `now` only decides the current hour (never a partial: it is still being written). `clip`:
 * the kind's rows carry a time (a span's start, a funnel entry's) by which the query keeps those in
 * its range, so the partial hours at the range's ends are read from partials too; else they are read
 * from the spans.
 */
export async function planPartials(store: Store, kind: PartialKind, range: TimeRange, now = Date.now(), clip = false): Promise<PartialPlan> {
  const fromMs = range.from.getTime();
  const toMs = range.to.getTime();
  const first = clip ? floorHour(fromMs) : ceilHour(fromMs);
  const end = Math.min(clip ? ceilHour(toMs) : floorHour(toMs), floorHour(now));
  const hours: PartialPlan['hours'] = [];
  const live: TimeRange[] = [];
  const addLive = (a: number, b: number) => {
    [a, b] = [Math.max(a, fromMs), Math.min(b, toMs)];
    if (a >= b) return;
    const last = live[live.length - 1];
    if (last && last.to.getTime() === a) last.to = new Date(b);
    else live.push({ from: new Date(a), to: new Date(b) });
  };
  if (first >= end) {
    addLive(fromMs, toMs);
    return { hours, live };
  }
  const { covers, lastInsertAround } = await hourStates(store, kind, first, end);
  addLive(fromMs, first);
  for (let h = first; h < end; h += HOUR_MS) {
    const c = covers.get(h);
    if (c !== undefined && c > lastInsertAround(h)) hours.push({ hour: new Date(h), covers: c });
    else addLive(h, h + HOUR_MS);
  }
  addLive(end, toMs);
  return { hours, live: capLiveRanges(live, hours) };
}

/** Merges live ranges across the smallest gaps until at most MAX_LIVE_RANGES remain; drops the hours inside. */
function capLiveRanges(live: TimeRange[], hours: PartialPlan['hours']): TimeRange[] {
  while (live.length > MAX_LIVE_RANGES) {
    let best = 1;
    for (let i = 2; i < live.length; i++) {
      if (live[i].from.getTime() - live[i - 1].to.getTime() < live[best].from.getTime() - live[best - 1].to.getTime()) best = i;
    }
    const gapFrom = live[best - 1].to.getTime();
    const gapTo = live[best].from.getTime();
    live[best - 1] = { from: live[best - 1].from, to: live[best].to };
    live.splice(best, 1);
    for (let i = hours.length - 1; i >= 0; i--) {
      const t = hours[i].hour.getTime();
      if (t >= gapFrom && t < gapTo) hours.splice(i, 1);
    }
  }
  return live;
}

/** WHERE condition selecting the plan's partial rows of `kind` (false when the plan has none). */
export function partialRowsWhere(kind: PartialKind, plan: PartialPlan): SqlFragment {
  if (plan.hours.length === 0) return sql`0`;
  const pairs = plan.hours.map((h) => sql`(${h.hour.getTime() / 1000}, ${typed(h.covers, "DateTime64(6, 'UTC')")})`);
  return sql`Kind = ${kind.name} AND (toUnixTimestamp(Hour), Covers) IN (${join(pairs, ', ')})`;
}

/** The table of a kind, for FROM. */
export function partialTable(kind: PartialKind): SqlFragment {
  return sql`${UNSAFE_RAW_SQL(checked(kind).table)}`;
}

/** Subqueries (partial rows, live ranges) as one: `FROM (${unionAll(parts)})`. */
export function unionAll(parts: readonly SqlFragment[]): SqlFragment {
  return join(parts.map((p) => sql`(${p})`), ' UNION ALL ');
}

export interface ComputePartialsOptions {
  /** Hours computed per call at most (the job's bounded work per run). @default 24 */
  maxHours?: number;
  /** How far back to fill, in hours before the current one. @default 30 days */
  horizonHours?: number;
  /** An hour is computed only once its dependencies have had no insert for this long. @default 60000 */
  settleMs?: number;
  /** @default Date.now() */
  now?: number;
  signal?: AbortSignal;
  /** Only these kinds (names); @default every registered kind. */
  only?: readonly string[];
}

export interface ComputePartialsResult {
  /** Hours computed, per kind. */
  computed: Record<string, number>;
  /** Hours still missing or stale after this call (work for the next), over all kinds. */
  remaining: number;
}

/**
 * The `partials` job's run: for each kind, the closed hours of the horizon without a valid partial,
 * newest first, the kinds taking turns, computed while `maxHours` lasts. Idempotent: a doubled run writes a second version
 * of an hour, and readers take the latest.
 */
export async function computePartials(store: Store, opts: ComputePartialsOptions = {}): Promise<ComputePartialsResult> {
  const now = opts.now ?? Date.now();
  const settleMs = opts.settleMs ?? 60_000;
  let budget = opts.maxHours ?? 24;
  const horizon = opts.horizonHours ?? 30 * 24;
  const signal = opts.signal ?? new AbortController().signal;
  const result: ComputePartialsResult = { computed: {}, remaining: 0 };
  const all = (await partialKinds(store)).filter((k) => !opts.only || opts.only.includes(k.name));
  // Every kind's hours to compute, newest first; then taken in turns, each kind's newest before any
  // kind's next, so after an upgrade (or a new saved funnel) every kind serves its recent hours
  // before any kind backfills its history.
  const todo: { kind: PartialKind; h: number; c: string | undefined; last: string; turn: number; order: number }[] = [];
  for (const [order, kind] of all.entries()) {
    result.computed[kind.name] = 0;
    // The newest hour whose dependencies are all closed.
    const end = floorHour(now) - kind.after * HOUR_MS;
    const start = end - horizon * HOUR_MS;
    if (end <= start) continue;
    const { covers, lastInsertAround } = await hourStates(store, kind, start, end);
    let turn = 0;
    for (let h = end - HOUR_MS; h >= start; h -= HOUR_MS) {
      const c = covers.get(h);
      const last = lastInsertAround(h);
      if (c !== undefined && c > last) continue;
      todo.push({ kind, h, c, last, turn: turn++, order });
    }
  }
  todo.sort((a, b) => a.turn - b.turn || a.order - b.order);
  for (const { kind, h, c, last } of todo) {
    if (budget <= 0 || signal.aborted) {
      result.remaining++;
      continue;
    }
    // An insert may still be committing when it is stamped: cover only those settleMs old.
    const [{ covers: at }] = await store.query<{ covers: string }>(sql`
      SELECT toString(now64(6, 'UTC') - toIntervalMillisecond(${settleMs})) AS covers`);
    if (!(last < at)) {
      result.remaining++;
      continue;
    }
    const hour = new Date(h);
    const tag = sql`${kind.name} AS Kind, toDateTime(${h / 1000}, 'UTC') AS Hour, ${typed(at, "DateTime64(6, 'UTC')")} AS Covers`;
    await kind.compute(store, hour, tag, signal);
    await store.command(sql`INSERT INTO partial_hours (Kind, Hour, Covers) SELECT ${tag}`);
    // The superseded version is never read again; on a cluster it waits for the TTL (a
    // lightweight DELETE cannot go through a Distributed table).
    if (c !== undefined && !store.cluster) {
      await store.command(sql`DELETE FROM ${partialTable(kind)} WHERE Kind = ${kind.name} AND Hour = ${hour} AND Covers < ${typed(at, "DateTime64(6, 'UTC')")}`);
    }
    budget--;
    result.computed[kind.name]++;
  }
  return result;
}
