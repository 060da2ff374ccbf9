import crypto from 'node:crypto';
import type { Alert, Transition } from './evaluate';

/**
 * Notification bodies: the Prometheus Alertmanager webhook payload (version 4, as Alertmanager's
 * notify/webhook sends it, so anything that takes Alertmanager webhooks takes payscope's) and a
 * Slack incoming-webhook message. One notification per state change of one alert.
 */

export interface Receiver {
  kind: 'webhook' | 'slack';
  url: string;
  /** Stored in the outbox instead of the URL (a Slack URL is a secret). */
  id: string;
}

export function receivers(c: { webhookUrls: string[]; slackUrl?: string }): Receiver[] {
  const id = (kind: string, url: string) => `${kind}:${crypto.createHash('sha256').update(url).digest('hex').slice(0, 16)}`;
  return [
    ...c.webhookUrls.map((url): Receiver => ({ kind: 'webhook', url, id: id('webhook', url) })),
    ...(c.slackUrl ? [{ kind: 'slack' as const, url: c.slackUrl, id: id('slack', c.slackUrl) }] : []),
  ];
}

/** Alertmanager's zero time: what it sends as `endsAt` of an alert still firing. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

export interface WebhookMessage {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: WebhookAlert[];
}

/** The labels sent: the alert's (alertname included) and its severity. */
export function alertLabels(a: Alert): Record<string, string> {
  return { ...a.labels, alertname: a.name, severity: a.severity };
}

/** The alerts page, focused on this alert. */
export function alertUrl(publicUrl: string, a: Alert): string {
  return `${publicUrl}/alerts?alert=${encodeURIComponent(a.id)}`;
}

/** The body for one receiver: `receiver` names it as Alertmanager's config would (`payscope-webhook`). */
export function webhookMessage(t: Transition, publicUrl: string, receiver = 'payscope-webhook'): WebhookMessage {
  const a = t.alert;
  const status = t.kind === 'resolved' ? 'resolved' : 'firing';
  const labels = alertLabels(a);
  const groupLabels: Record<string, string> = { ...a.labels, alertname: a.name };
  const key = Object.keys(groupLabels).sort().map((k) => `${k}=${JSON.stringify(groupLabels[k])}`).join(', ');
  return {
    version: '4',
    groupKey: `{}:{${key}}`,
    truncatedAlerts: 0,
    status,
    receiver,
    groupLabels,
    commonLabels: labels,
    commonAnnotations: a.annotations,
    externalURL: publicUrl,
    alerts: [{
      status,
      labels,
      annotations: a.annotations,
      startsAt: new Date(a.startsAt ?? a.activeAt).toISOString(),
      endsAt: status === 'resolved' && a.endsAt !== null ? new Date(a.endsAt).toISOString() : ZERO_TIME,
      generatorURL: alertUrl(publicUrl, a),
      fingerprint: a.fingerprint,
    }],
  };
}

/** A Slack incoming-webhook message (text with mrkdwn links, and blocks). */
export function slackMessage(t: Transition, publicUrl: string): { text: string; blocks: unknown[] } {
  const a = t.alert;
  const icon = t.kind === 'resolved' ? ':white_check_mark:' : a.severity === 'critical' ? ':red_circle:' : a.severity === 'warning' ? ':warning:' : ':information_source:';
  const state = t.kind === 'resolved' ? 'RESOLVED' : `FIRING (${a.severity})`;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const labelText = Object.entries(a.labels).map(([k, v]) => `${k}=${v}`).join(', ');
  const linkParts = [`<${alertUrl(publicUrl, a)}|alert>`];
  if (a.annotations.dashboard_url) linkParts.push(`<${a.annotations.dashboard_url}|dashboard>`);
  if (a.annotations.traces_url) linkParts.push(`<${a.annotations.traces_url}|traces>`);
  const text = `${icon} ${state}: ${esc(a.name)} ${esc(labelText)} — ${esc(a.annotations.summary ?? '')}`;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${text}*\n${esc(a.annotations.description ?? '')}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: linkParts.join(' · ') }] },
    ],
  };
}

export function bodyFor(r: Receiver, t: Transition, publicUrl: string): string {
  return JSON.stringify(r.kind === 'slack' ? slackMessage(t, publicUrl) : webhookMessage(t, publicUrl));
}

/** Seconds to wait before attempt `attempts + 1`: 5 s doubling, at most 5 minutes. */
export function backoffSec(attempts: number): number {
  return Math.min(300, 5 * 2 ** Math.max(0, attempts - 1));
}

/** One POST; resolves with an error message, or null when the receiver took it (2xx). */
export async function deliver(url: string, body: string, timeoutMs = 10_000): Promise<string | null> {
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    await res.arrayBuffer().catch(() => undefined);
    return res.ok ? null : `HTTP ${res.status}`;
  } catch (err) {
    return (err as Error).message || String(err);
  }
}
