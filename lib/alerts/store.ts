import crypto from 'node:crypto';
import { join, sql } from '../store/sql';
import type { Store } from '../store/store';
import type { Alert, AlertState, Matcher, Severity } from './evaluate';

/**
 * Alerts, silences and the notification outbox in ClickHouse (migrations 0041–0043). Every change
 * appends a version; reads take the latest per id, so nothing is ever mutated in place.
 */

interface AlertRow {
  id: string;
  fingerprint: string;
  rule: string;
  name: string;
  severity: Severity;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: AlertState;
  activeAt: string;
  startsAt: string | null;
  endsAt: string | null;
  value: number;
  threshold: number;
}

const ms = (v: string | null) => (v === null ? null : Number(v));

function fromRow(r: AlertRow): Alert {
  return {
    id: r.id, fingerprint: r.fingerprint, rule: r.rule, name: r.name, severity: r.severity, labels: r.labels, annotations: r.annotations,
    state: r.state, activeAt: Number(r.activeAt), startsAt: ms(r.startsAt), endsAt: ms(r.endsAt), value: Number(r.value), threshold: Number(r.threshold),
  };
}

const latestAlerts = sql`
  SELECT Id AS id, Fingerprint AS fingerprint, Rule AS rule, AlertName AS name, Severity AS severity, Labels AS labels, Annotations AS annotations,
         State AS state, toString(toUnixTimestamp64Milli(ActiveAt)) AS activeAt,
         if(StartsAt IS NULL, NULL, toString(toUnixTimestamp64Milli(assumeNotNull(StartsAt)))) AS startsAt,
         if(EndsAt IS NULL, NULL, toString(toUnixTimestamp64Milli(assumeNotNull(EndsAt)))) AS endsAt,
         Value AS value, Threshold AS threshold
  FROM payscope_alerts
  ORDER BY Id, UpdatedAt DESC
  LIMIT 1 BY Id`;

/** Pending and firing alerts: what the next evaluation continues from. */
export async function listOpenAlerts(store: Store): Promise<Alert[]> {
  const rows = await store.query<AlertRow>(sql`SELECT * FROM (${latestAlerts}) WHERE state IN ('pending', 'firing') ORDER BY activeAt, id`);
  return rows.map(fromRow);
}

export interface AlertQuery {
  from: Date;
  to: Date;
  state?: AlertState;
  limit?: number;
}

/**
 * Alerts active at some time in [from, to]: firing or resolved ones that fired, and pending ones
 * (never-fired pending alerts that were dropped are not history). Most recent first.
 */
export async function listAlerts(store: Store, q: AlertQuery): Promise<Alert[]> {
  const fromMs = q.from.getTime();
  const toMs = q.to.getTime();
  const stateFilter = q.state ? sql`AND state = ${q.state}` : sql``;
  const rows = await store.query<AlertRow>(sql`
    SELECT * FROM (${latestAlerts})
    WHERE (startsAt IS NOT NULL OR state = 'pending')
      AND toInt64(ifNull(startsAt, activeAt)) <= ${toMs} AND (endsAt IS NULL OR toInt64(endsAt) >= ${fromMs}) ${stateFilter}
    ORDER BY toInt64(ifNull(startsAt, activeAt)) DESC, id
    LIMIT ${q.limit ?? 1000}`);
  return rows.map(fromRow);
}

const nullableMs = (v: number | null) => sql`if(${v ?? -1} < 0, NULL, fromUnixTimestamp64Milli(toInt64(${v ?? -1})))`;

/** Appends a version of each alert, stamped `now`. */
export async function saveAlerts(store: Store, alerts: readonly Alert[], now: number): Promise<void> {
  if (!alerts.length) return;
  const rows = alerts.map((a) => {
    const lk = Object.keys(a.labels);
    const ak = Object.keys(a.annotations);
    return sql`(${a.id}, ${a.fingerprint}, ${a.rule}, ${a.name}, ${a.severity},
      mapFromArrays(${lk}, ${lk.map((k) => a.labels[k])}), mapFromArrays(${ak}, ${ak.map((k) => a.annotations[k])}),
      ${a.state}, fromUnixTimestamp64Milli(toInt64(${a.activeAt})), ${nullableMs(a.startsAt)}, ${nullableMs(a.endsAt)},
      ${a.value}, ${a.threshold}, fromUnixTimestamp64Milli(toInt64(${now})))`;
  });
  await store.command(sql`INSERT INTO payscope_alerts (Id, Fingerprint, Rule, AlertName, Severity, Labels, Annotations, State, ActiveAt, StartsAt, EndsAt, Value, Threshold, UpdatedAt)
    VALUES ${join(rows, ', ')}`);
}

// ---- silences

export interface Silence {
  id: string;
  matchers: Matcher[];
  startsAt: string;
  endsAt: string;
  comment: string;
  updatedAt: string;
}

interface SilenceRow {
  id: string;
  matchers: string;
  startsAt: string;
  endsAt: string;
  comment: string;
  updatedAt: string;
  deleted: number;
}

/** Silences not deleted, active ones (ending after `now`) unless `all`, latest end first. */
export async function listSilences(store: Store, now: number, all = false): Promise<Silence[]> {
  const rows = await store.query<SilenceRow>(sql`
    SELECT * FROM (
      SELECT Id AS id, argMax(Matchers, UpdatedAt) AS matchers, formatDateTime(argMax(StartsAt, UpdatedAt), '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC') AS startsAt,
             formatDateTime(argMax(EndsAt, UpdatedAt), '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC') AS endsAt,
             argMax(Comment, UpdatedAt) AS comment, formatDateTime(max(UpdatedAt), '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC') AS updatedAt,
             argMax(Deleted, UpdatedAt) AS deleted, toUnixTimestamp64Milli(argMax(EndsAt, UpdatedAt)) AS endsMs
      FROM payscope_alert_silences GROUP BY Id)
    WHERE deleted = 0 ${all ? sql`` : sql`AND endsMs > ${now}`}
    ORDER BY endsAt DESC, id`);
  return rows.map((r) => ({ id: r.id, matchers: JSON.parse(r.matchers) as Matcher[], startsAt: r.startsAt, endsAt: r.endsAt, comment: r.comment, updatedAt: r.updatedAt }));
}

let lastStamp = 0;
function stamp(): Date {
  lastStamp = Math.max(Date.now(), lastStamp + 1);
  return new Date(lastStamp);
}

export async function saveSilence(store: Store, s: { matchers: Matcher[]; startsAt?: Date; endsAt: Date; comment: string }, id?: string): Promise<Silence> {
  const silenceId = id ?? `s_${crypto.randomBytes(8).toString('hex')}`;
  const at = stamp();
  const startsAt = s.startsAt ?? at;
  await store.command(sql`INSERT INTO payscope_alert_silences (Id, Matchers, StartsAt, EndsAt, Comment, UpdatedAt, Deleted)
    VALUES (${silenceId}, ${JSON.stringify(s.matchers)}, ${startsAt}, ${s.endsAt}, ${s.comment}, ${at}, 0)`);
  return { id: silenceId, matchers: s.matchers, startsAt: startsAt.toISOString(), endsAt: s.endsAt.toISOString(), comment: s.comment, updatedAt: at.toISOString() };
}

/** Ends a silence now; false when there is none with that id. */
export async function deleteSilence(store: Store, id: string): Promise<boolean> {
  const found = (await listSilences(store, 0, true)).find((s) => s.id === id);
  if (!found) return false;
  const at = stamp();
  await store.command(sql`INSERT INTO payscope_alert_silences (Id, Matchers, StartsAt, EndsAt, Comment, UpdatedAt, Deleted)
    VALUES (${id}, ${JSON.stringify(found.matchers)}, ${new Date(found.startsAt)}, ${at}, ${found.comment}, ${at}, 1)`);
  return true;
}

// ---- outbox

export interface OutboxItem {
  id: string;
  receiver: string;
  body: string;
  createdAt: number;
  attempts: number;
}

/** Writes notifications to deliver (before any delivery is tried). The id makes a repeat harmless. */
export async function enqueueNotifications(store: Store, items: readonly { id: string; receiver: string; body: string }[], now: number): Promise<void> {
  if (!items.length) return;
  const rows = items.map((n) => sql`(${n.id}, ${n.receiver}, ${n.body}, fromUnixTimestamp64Milli(toInt64(${now})), 'pending', 0, fromUnixTimestamp64Milli(toInt64(${now})), '', fromUnixTimestamp64Milli(toInt64(${now})))`);
  await store.command(sql`INSERT INTO payscope_alert_notifications (Id, Receiver, Body, CreatedAt, State, Attempts, NextAttemptAt, LastError, UpdatedAt) VALUES ${join(rows, ', ')}`);
}

/** Pending notifications whose next attempt is due, oldest first. */
export async function dueNotifications(store: Store, now: number, limit = 100): Promise<OutboxItem[]> {
  const rows = await store.query<{ id: string; receiver: string; body: string; createdAt: string; attempts: number }>(sql`
    SELECT id, receiver, body, createdAt, attempts FROM (
      SELECT Id AS id, Receiver AS receiver, Body AS body, toString(toUnixTimestamp64Milli(CreatedAt)) AS createdAt, Attempts AS attempts,
             State AS state, toUnixTimestamp64Milli(NextAttemptAt) AS nextMs
      FROM payscope_alert_notifications ORDER BY Id, UpdatedAt DESC LIMIT 1 BY Id)
    WHERE state = 'pending' AND nextMs <= ${now}
    ORDER BY createdAt, id LIMIT ${limit}`);
  return rows.map((r) => ({ id: r.id, receiver: r.receiver, body: r.body, createdAt: Number(r.createdAt), attempts: Number(r.attempts) }));
}

/** Records an attempt: delivered, retry at `nextAt`, or given up. */
export async function recordAttempt(store: Store, item: OutboxItem, outcome: { state: 'delivered' | 'pending' | 'failed'; nextAt: number; error: string }, now: number): Promise<void> {
  await store.command(sql`INSERT INTO payscope_alert_notifications (Id, Receiver, Body, CreatedAt, State, Attempts, NextAttemptAt, LastError, UpdatedAt)
    VALUES (${item.id}, ${item.receiver}, ${item.body}, fromUnixTimestamp64Milli(toInt64(${item.createdAt})), ${outcome.state}, ${item.attempts + 1},
            fromUnixTimestamp64Milli(toInt64(${outcome.nextAt})), ${outcome.error.slice(0, 500)}, fromUnixTimestamp64Milli(toInt64(${now})))`);
}

/** Notifications by state (for the page and /metrics). */
export async function outboxCounts(store: Store): Promise<Record<string, number>> {
  const rows = await store.query<{ state: string; n: string }>(sql`
    SELECT state, count() AS n FROM (SELECT Id, argMax(State, UpdatedAt) AS state FROM payscope_alert_notifications GROUP BY Id) GROUP BY state`);
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}
