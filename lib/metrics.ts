import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * payscope's own health in Prometheus text format (`GET /metrics`, docs/metrics.md). Named after the
 * OpenTelemetry Collector's own metrics where one means the same (`otelcol_receiver_accepted_spans`
 * and `_refused_spans` with its `receiver` / `transport` labels, `otelcol_exporter_sent_spans` for
 * spans stored), `payscope_` otherwise. Counters carry Prometheus' `_total` suffix, as the
 * Collector's own Prometheus endpoint shows them.
 *
 * One instance per server (its own registry): tests start several servers in one process.
 */

export type Transport = 'http' | 'grpc';

/** Why a receiver refused a request (the `reason` label). */
export type RefusalReason =
  | 'unauthenticated' // 401 / UNAUTHENTICATED
  | 'overload' // 429, or UNAVAILABLE while the queue or the decoders are full
  | 'unavailable' // 503 / UNAVAILABLE: store down and spool full, spool unwritable, shutting down
  | 'too_large' // 413
  | 'unsupported' // 405, 415: method, content type or encoding
  | 'timeout' // 408: the body stopped arriving
  | 'invalid' // 400 / INVALID_ARGUMENT: the body or its spans cannot be decoded
  | 'rejected' // 400 / INVALID_ARGUMENT: the store refused the spans for their content
  | 'internal'; // 500 / INTERNAL

/** What the OTLP receivers report. */
export interface ReceiverMetrics {
  /** Spans acknowledged to the client (stored, or spooled while the store is down). */
  accepted(transport: Transport, spans: number): void;
  /**
   * A request refused (`spans` > 0 and `requestRefused` false: some spans of an accepted request
   * were dropped, e.g. invalid ids). `spans` is 0 where the body was never decoded.
   */
  refused(transport: Transport, reason: RefusalReason, spans: number, requestRefused?: boolean): void;
}

/** What the metrics read from the ingest at each scrape. */
export interface IngestGauges {
  queuedBytes: number;
  spoolBytes: number;
  spoolFiles: number;
  deadLetterBatches: number;
  storeUp: boolean;
}

/** What one alert evaluation reports to the metrics. */
export interface AlertEvaluationMetrics {
  seconds: number;
  failedRules: string[];
  /** Alerts firing after it, by severity. */
  firing: Record<string, number>;
  /** Delivery attempts by receiver kind. */
  attempts: Record<string, { delivered: number; failed: number }>;
  /** Notifications still waiting in the outbox. */
  pending: number;
}

const RECEIVER = 'otlp';
/** Seconds: inserts and queries take from milliseconds to the query budget (30 s by default). */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class PayscopeMetrics implements ReceiverMetrics {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;
  private readonly acceptedSpans: Counter<'receiver' | 'transport'>;
  private readonly refusedSpans: Counter<'receiver' | 'transport' | 'reason'>;
  private readonly refusedRequests: Counter<'receiver' | 'transport' | 'reason'>;
  private readonly sentSpans: Counter<'exporter'>;
  private readonly spooledSpans: Counter;
  private readonly insertSeconds: Histogram;
  private readonly querySeconds: Histogram;
  private readonly alertEvaluations: Counter;
  private readonly alertRuleFailures: Counter<'rule'>;
  private readonly alertEvaluationSeconds: Histogram;
  private readonly alertsFiring: Gauge<'severity'>;
  private readonly alertNotifications: Counter<'receiver' | 'outcome'>;
  private readonly alertOutboxPending: Gauge;

  /** `ingest` is read at each scrape; undefined while there is no pipeline. */
  constructor(ingest: () => IngestGauges | undefined) {
    const registers = [this.registry];
    this.acceptedSpans = new Counter({
      name: 'otelcol_receiver_accepted_spans_total', help: 'Spans acknowledged to the client (stored, or spooled while the store is down).',
      labelNames: ['receiver', 'transport'], registers,
    });
    this.refusedSpans = new Counter({
      name: 'otelcol_receiver_refused_spans_total', help: 'Spans refused, by reason; a request refused before its body was decoded counts in payscope_receiver_refused_requests_total only.',
      labelNames: ['receiver', 'transport', 'reason'], registers,
    });
    this.refusedRequests = new Counter({
      name: 'payscope_receiver_refused_requests_total', help: 'Export requests refused, by reason.',
      labelNames: ['receiver', 'transport', 'reason'], registers,
    });
    this.sentSpans = new Counter({
      name: 'otelcol_exporter_sent_spans_total', help: 'Spans stored in ClickHouse (batches replayed from an earlier run, whose span count is not known, excluded).',
      labelNames: ['exporter'], registers,
    });
    this.spooledSpans = new Counter({
      name: 'payscope_ingest_spooled_spans_total', help: 'Spans acknowledged from the spool while the store was not taking inserts.', registers,
    });
    const gauge = (name: string, help: string, read: (g: IngestGauges) => number) => new Gauge({
      name, help, registers,
      collect() {
        const g = ingest();
        if (g) this.set(read(g));
      },
    });
    gauge('payscope_ingest_queue_bytes', 'Bytes of decoded spans waiting to be stored (gathering, sealed or spooled).', (g) => g.queuedBytes);
    gauge('payscope_ingest_spool_bytes', 'Bytes of batch files in the spool, waiting to be stored.', (g) => g.spoolBytes);
    gauge('payscope_ingest_spool_batches', 'Batch files in the spool waiting for an insert.', (g) => g.spoolFiles);
    gauge('payscope_ingest_dead_letter_batches', 'Acknowledged batches the store rejected, kept in the spool\'s dead-letter folder.', (g) => g.deadLetterBatches);
    gauge('payscope_store_up', '1 while the store takes the ingest\'s inserts, 0 while inserts fail and batches wait in the spool.', (g) => (g.storeUp ? 1 : 0));
    this.insertSeconds = new Histogram({
      name: 'payscope_store_insert_duration_seconds', help: 'Time of each successful insert of a batch.', buckets: BUCKETS, registers,
    });
    this.querySeconds = new Histogram({
      name: 'payscope_query_duration_seconds', help: 'Time of each dashboard/API query, failed ones included.', buckets: BUCKETS, registers,
    });
    this.alertEvaluations = new Counter({ name: 'payscope_alert_evaluations_total', help: 'Alert evaluations (all enabled rules once) run by this instance.', registers });
    this.alertRuleFailures = new Counter({ name: 'payscope_alert_rule_failures_total', help: 'Rule measurements that failed (the rule\'s alerts kept their state), by rule.', labelNames: ['rule'], registers });
    this.alertEvaluationSeconds = new Histogram({ name: 'payscope_alert_evaluation_duration_seconds', help: 'Time of each alert evaluation, delivery of due notifications included.', buckets: BUCKETS, registers });
    this.alertsFiring = new Gauge({ name: 'payscope_alerts_firing', help: 'Alerts firing after this instance\'s last evaluation, by severity.', labelNames: ['severity'], registers });
    this.alertNotifications = new Counter({ name: 'payscope_alert_notifications_total', help: 'Notification delivery attempts, by receiver kind (webhook, slack) and outcome (delivered, failed).', labelNames: ['receiver', 'outcome'], registers });
    this.alertOutboxPending = new Gauge({ name: 'payscope_alert_notifications_pending', help: 'Notifications in the outbox waiting for a (next) delivery attempt.', registers });
    for (const severity of ['info', 'warning', 'critical']) this.alertsFiring.set({ severity }, 0);
    // Series that exist from the start, so a rate over them is defined before the first export.
    for (const transport of ['http', 'grpc'] as const) this.acceptedSpans.inc({ receiver: RECEIVER, transport }, 0);
    this.sentSpans.inc({ exporter: 'clickhouse' }, 0);
  }

  accepted(transport: Transport, spans: number): void {
    if (spans > 0) this.acceptedSpans.inc({ receiver: RECEIVER, transport }, spans);
  }

  refused(transport: Transport, reason: RefusalReason, spans: number, requestRefused = true): void {
    if (requestRefused) this.refusedRequests.inc({ receiver: RECEIVER, transport, reason });
    if (spans > 0) this.refusedSpans.inc({ receiver: RECEIVER, transport, reason }, spans);
  }

  /** A batch was stored: its spans (-1 when not known) and how long the insert took. */
  inserted(spans: number, seconds: number): void {
    if (spans > 0) this.sentSpans.inc({ exporter: 'clickhouse' }, spans);
    this.insertSeconds.observe(seconds);
  }

  spooled(spans: number): void {
    if (spans > 0) this.spooledSpans.inc(spans);
  }

  queried(seconds: number): void {
    this.querySeconds.observe(seconds);
  }

  /** An alert evaluation ran (lib/alerts/engine.ts). */
  alertEvaluated(e: AlertEvaluationMetrics): void {
    this.alertEvaluations.inc();
    this.alertEvaluationSeconds.observe(e.seconds);
    for (const rule of e.failedRules) this.alertRuleFailures.inc({ rule });
    for (const severity of ['info', 'warning', 'critical']) this.alertsFiring.set({ severity }, e.firing[severity] ?? 0);
    for (const [receiver, n] of Object.entries(e.attempts)) {
      if (n.delivered) this.alertNotifications.inc({ receiver, outcome: 'delivered' }, n.delivered);
      if (n.failed) this.alertNotifications.inc({ receiver, outcome: 'failed' }, n.failed);
    }
    this.alertOutboxPending.set(e.pending);
  }

  /** The exposition text. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
