import { context, TraceFlags, type Context } from '@opentelemetry/api';
import { ExportResultCode, getNumberFromEnv, suppressTracing, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';

export interface ExportQueueOptions {
  /** Spans held while waiting for export; past this, new spans are dropped and counted. @default 2048 (`OTEL_BSP_MAX_QUEUE_SIZE`) */
  maxQueueSize?: number;
  /** Spans per export request. @default 512 (`OTEL_BSP_MAX_EXPORT_BATCH_SIZE`) */
  maxExportBatchSize?: number;
  /** Longest a span waits before its batch is sent. @default 1000 (`OTEL_BSP_SCHEDULE_DELAY`) */
  scheduledDelayMillis?: number;
  /** Longest one export may take before its spans count as dropped. @default 30000 (`OTEL_BSP_EXPORT_TIMEOUT`) */
  exportTimeoutMillis?: number;
}

export interface BoundedBatchSpanProcessorOptions extends ExportQueueOptions {
  /** Longest `shutdown()` takes, flush included; whatever is not exported by then is dropped. @default 3000 */
  shutdownTimeoutMillis?: number;
  /** Where the drop warnings go. @default console.warn with a `[payscope]` prefix */
  log?: WarningLogger;
}

export interface ExportStats {
  /** Spans waiting in the queue now. */
  queuedSpans: number;
  /** Spans the backend accepted. */
  exportedSpans: number;
  /** Spans lost: queue full, export failed or timed out, or still queued when shutdown ran out of time. */
  droppedSpans: number;
}

export type WarningLogger = (message: string) => void;

const defaultLogger: WarningLogger = (message) => console.warn(`[payscope] ${message}`);

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)).unref());
}

/**
 * A batching span processor for an app that must never feel its telemetry backend:
 * - `onEnd` only appends to a bounded array; serialization and I/O run later on a timer, one
 *   export at a time, with tracing suppressed so the export makes no spans of its own;
 * - when the backend is down or slow the queue fills and further spans are dropped and counted,
 *   so memory stays bounded; the first loss is logged once, and a total at shutdown;
 * - nothing it does throws into the app, and `shutdown(deadline)` always settles by the deadline.
 *
 * The upstream BatchSpanProcessor has the bounded queue but logs drops only through `diag`
 * (silent by default) and has no overall shutdown bound, hence this class.
 */
export class BoundedBatchSpanProcessor implements SpanProcessor {
  private readonly maxQueueSize: number;
  private readonly maxExportBatchSize: number;
  private readonly scheduledDelayMillis: number;
  private readonly exportTimeoutMillis: number;
  private readonly shutdownTimeoutMillis: number;
  private readonly log: WarningLogger;

  private queue: ReadableSpan[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerIsImmediate = false;
  private exporting: Promise<void> | undefined;
  // Settles the in-flight export as failed; shutdown uses it to account for an export it stops waiting for.
  private abandonExport: ((reason: string) => void) | undefined;
  private stopped = false;
  private shutdownPromise: Promise<void> | undefined;

  private exportedSpans = 0;
  private droppedSpans = 0;
  private warnedAt = -1;

  constructor(
    private readonly exporter: SpanExporter,
    options: BoundedBatchSpanProcessorOptions = {},
  ) {
    this.log = options.log ?? defaultLogger;
    this.shutdownTimeoutMillis = positive(options.shutdownTimeoutMillis, 3000);
    this.maxQueueSize = positive(options.maxQueueSize ?? getNumberFromEnv('OTEL_BSP_MAX_QUEUE_SIZE'), 2048);
    this.maxExportBatchSize = Math.min(
      positive(options.maxExportBatchSize ?? getNumberFromEnv('OTEL_BSP_MAX_EXPORT_BATCH_SIZE'), 512),
      this.maxQueueSize,
    );
    this.scheduledDelayMillis = positive(options.scheduledDelayMillis ?? getNumberFromEnv('OTEL_BSP_SCHEDULE_DELAY'), 1000);
    this.exportTimeoutMillis = positive(options.exportTimeoutMillis ?? getNumberFromEnv('OTEL_BSP_EXPORT_TIMEOUT'), 30_000);
  }

  stats(): ExportStats {
    return { queuedSpans: this.queue.length, exportedSpans: this.exportedSpans, droppedSpans: this.droppedSpans };
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.stopped) {
      this.drop(1, 'payscope is shut down');
      return;
    }
    if (this.queue.length >= this.maxQueueSize) {
      this.drop(1, `the export queue is full (${this.maxQueueSize} spans): the backend is down or slower than the app`);
      return;
    }
    this.queue.push(span);
    this.schedule(this.queue.length >= this.maxExportBatchSize ? 0 : this.scheduledDelayMillis);
  }

  /** Exports everything queued now; settles once those exports finish (each bounded by the export timeout). */
  async forceFlush(): Promise<void> {
    await this.drain(Number.POSITIVE_INFINITY);
  }

  /** Stops accepting spans, flushes what it can within the shutdown timeout, counts the rest as dropped. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.shutdownWithin(this.shutdownTimeoutMillis);
    return this.shutdownPromise;
  }

  private async shutdownWithin(timeoutMillis: number): Promise<void> {
    const deadline = Date.now() + timeoutMillis;
    this.stopped = true;
    this.clearTimer();
    await this.drain(deadline);
    const remaining = deadline - Date.now();
    if (remaining > 0) {
      await Promise.race([this.exporter.shutdown().catch(() => undefined), sleep(remaining)]);
    }
    this.abandonExport?.('shutdown ran out of time');
    if (this.queue.length > 0) {
      const left = this.queue.length;
      this.queue = [];
      this.drop(left, 'shutdown ran out of time');
    }
    if (this.droppedSpans > 0 && this.warnedAt !== this.droppedSpans) {
      this.log(`dropped ${this.droppedSpans} span(s) in total; exported ${this.exportedSpans}.`);
    }
  }

  private drop(count: number, reason: string): void {
    this.droppedSpans += count;
    if (this.warnedAt === -1) {
      this.warnedAt = this.droppedSpans;
      this.log(
        `dropped ${count} span(s): ${reason}. The app is not affected; ` +
          'further drops are counted without logging and totalled at shutdown.',
      );
    }
  }

  private schedule(delay: number): void {
    if (this.exporting !== undefined || this.stopped) return; // the running export reschedules
    if (this.timer !== undefined) {
      if (delay > 0 || this.timerIsImmediate) return;
      clearTimeout(this.timer);
    }
    this.timerIsImmediate = delay === 0;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.exportNext();
    }, delay);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Exports until the queue is empty or the deadline passes. */
  private async drain(deadline: number): Promise<void> {
    while (this.exporting !== undefined || this.queue.length > 0) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return;
      const step = this.exporting ?? this.exportNext();
      if (remaining === Number.POSITIVE_INFINITY) await step;
      else await Promise.race([step, sleep(remaining)]);
    }
  }

  private exportNext(): Promise<void> {
    if (this.exporting !== undefined) return this.exporting;
    if (this.queue.length === 0) return Promise.resolve();
    const batch = this.queue.length <= this.maxExportBatchSize ? this.queue : this.queue.slice(0, this.maxExportBatchSize);
    this.queue = batch === this.queue ? [] : this.queue.slice(batch.length);
    this.exporting = this.exportBatch(batch).finally(() => {
      this.exporting = undefined;
      if (this.queue.length > 0) this.schedule(this.queue.length >= this.maxExportBatchSize ? 0 : this.scheduledDelayMillis);
    });
    return this.exporting;
  }

  private exportBatch(batch: ReadableSpan[]): Promise<void> {
    return new Promise<void>((resolve) => {
      let settled = false;
      const settle = (exported: boolean, reason: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.abandonExport = undefined;
        if (exported) this.exportedSpans += batch.length;
        else this.drop(batch.length, reason);
        resolve();
      };
      const finish = (result: ExportResult): void =>
        settle(
          result.code === ExportResultCode.SUCCESS,
          `export to the backend failed (${result.error?.message ?? 'unknown error'})`,
        );
      this.abandonExport = (reason) => settle(false, reason);
      const timer = setTimeout(
        () => finish({ code: ExportResultCode.FAILED, error: new Error(`no answer within ${this.exportTimeoutMillis} ms`) }),
        this.exportTimeoutMillis,
      );
      timer.unref();
      context.with(suppressTracing(context.active()), () => {
        try {
          this.exporter.export(batch, finish);
        } catch (error) {
          finish({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
        }
      });
    });
  }
}
