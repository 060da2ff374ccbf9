import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, isTracingSuppressed, type ExportResult } from '@opentelemetry/core';
import { TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { BoundedBatchSpanProcessor, type BoundedBatchSpanProcessorOptions } from '../src/index.js';

type Mode = 'ok' | 'fail' | 'never' | 'throw';

/** An exporter the test steers: answers ok, fails, never answers, or throws. */
class ControlledExporter implements SpanExporter {
  batches: ReadableSpan[][] = [];
  suppressedDuringExport: boolean[] = [];
  shutdownHangs = false;
  constructor(public mode: Mode) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.batches.push(spans);
    this.suppressedDuringExport.push(isTracingSuppressed(context.active()));
    if (this.mode === 'throw') throw new Error('exporter bug');
    if (this.mode === 'ok') setImmediate(() => done({ code: ExportResultCode.SUCCESS }));
    if (this.mode === 'fail') setImmediate(() => done({ code: ExportResultCode.FAILED, error: new Error('connect ECONNREFUSED 127.0.0.1:4318') }));
  }

  shutdown(): Promise<void> {
    return this.shutdownHangs ? new Promise(() => {}) : Promise.resolve();
  }
}

function setup(mode: Mode, options: BoundedBatchSpanProcessorOptions = {}) {
  const exporter = new ControlledExporter(mode);
  const logs: string[] = [];
  const processor = new BoundedBatchSpanProcessor(exporter, { scheduledDelayMillis: 10, log: (m) => logs.push(m), ...options });
  const tracer = new TracerProvider({ spanProcessors: [processor] }).getTracer('queue-test');
  const endSpans = (n: number) => {
    for (let i = 0; i < n; i++) tracer.startSpan(`span ${i}`).end();
  };
  return { exporter, logs, processor, endSpans };
}

// As in a started SDK, so suppressTracing() during export is observable.
beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('BoundedBatchSpanProcessor', () => {
  it('never exports from inside span.end(), and exports with tracing suppressed', async () => {
    const { exporter, processor, endSpans } = setup('ok');
    endSpans(3);
    expect(exporter.batches).toHaveLength(0);
    await vi.waitFor(() => expect(processor.stats().exportedSpans).toBe(3));
    expect(exporter.batches.flat()).toHaveLength(3);
    expect(exporter.suppressedDuringExport).toEqual([true]);
    expect(processor.stats()).toEqual({ queuedSpans: 0, exportedSpans: 3, droppedSpans: 0 });
  });

  it('sends full batches without waiting for the delay', async () => {
    const { exporter, endSpans } = setup('ok', { scheduledDelayMillis: 60_000, maxExportBatchSize: 4 });
    endSpans(9);
    await vi.waitFor(() => expect(exporter.batches).toHaveLength(2));
    await sleep(50);
    expect(exporter.batches.map((b) => b.length)).toEqual([4, 4]);
  });

  it('keeps memory bounded when the backend never answers: drops, counts, logs once', async () => {
    const { exporter, logs, processor, endSpans } = setup('never', { maxQueueSize: 20, maxExportBatchSize: 5 });
    endSpans(5);
    await vi.waitFor(() => expect(exporter.batches).toHaveLength(1)); // stuck in an export that never returns
    const started = performance.now();
    endSpans(1000);
    const perSpanMs = (performance.now() - started) / 1000;
    expect(perSpanMs).toBeLessThan(1); // span.end() stays cheap while the backend hangs
    expect(exporter.batches).toHaveLength(1);
    expect(processor.stats()).toEqual({ queuedSpans: 20, exportedSpans: 0, droppedSpans: 980 });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/dropped 1 span\(s\): the export queue is full \(20 spans\)/);
  });

  it('counts spans of failed exports as dropped and names the reason once', async () => {
    const { logs, processor, endSpans } = setup('fail');
    endSpans(3);
    await vi.waitFor(() => expect(processor.stats().droppedSpans).toBe(3));
    endSpans(2);
    await vi.waitFor(() => expect(processor.stats().droppedSpans).toBe(5));
    expect(logs).toEqual([expect.stringContaining('export to the backend failed (connect ECONNREFUSED 127.0.0.1:4318)')]);
  });

  it('survives an exporter that throws', async () => {
    const { processor, endSpans } = setup('throw');
    expect(() => endSpans(3)).not.toThrow();
    await vi.waitFor(() => expect(processor.stats()).toMatchObject({ exportedSpans: 0, droppedSpans: 3 }));
  });

  it('gives up on an export that takes longer than the export timeout', async () => {
    const { exporter, processor, endSpans } = setup('never', { exportTimeoutMillis: 50 });
    endSpans(2);
    await vi.waitFor(() => expect(processor.stats().droppedSpans).toBe(2));
    exporter.mode = 'ok';
    endSpans(1);
    await vi.waitFor(() => expect(processor.stats().exportedSpans).toBe(1));
  });

  it('shuts down within its bound when the export and the exporter shutdown both hang', async () => {
    const { exporter, logs, processor, endSpans } = setup('never', { shutdownTimeoutMillis: 200, maxQueueSize: 100, maxExportBatchSize: 10 });
    exporter.shutdownHangs = true;
    endSpans(50);
    await vi.waitFor(() => expect(exporter.batches).toHaveLength(1));
    const started = Date.now();
    await processor.shutdown();
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(150);
    expect(took).toBeLessThan(1000); // 200 ms bound, with room for a loaded machine
    // 10 in the stuck export, 40 still queued: all accounted for
    expect(processor.stats()).toEqual({ queuedSpans: 0, exportedSpans: 0, droppedSpans: 50 });
    expect(logs).toEqual([
      expect.stringMatching(/^dropped 10 span\(s\): shutdown ran out of time/),
      'dropped 50 span(s) in total; exported 0.',
    ]);
    // spans that end after shutdown are dropped, not queued
    endSpans(1);
    expect(processor.stats().droppedSpans).toBe(51);
  });

  it('totals the drops at shutdown when more were dropped after the first warning', async () => {
    const { logs, processor, endSpans } = setup('never', { maxQueueSize: 5, maxExportBatchSize: 5, shutdownTimeoutMillis: 50 });
    endSpans(20);
    await processor.shutdown();
    expect(logs).toHaveLength(2);
    expect(logs[1]).toBe('dropped 20 span(s) in total; exported 0.');
    expect(processor.stats().droppedSpans).toBe(20);
  });

  it('flushes everything on shutdown when the backend answers', async () => {
    const { processor, exporter, endSpans, logs } = setup('ok', { scheduledDelayMillis: 60_000 });
    endSpans(7);
    await processor.shutdown();
    expect(exporter.batches.flat()).toHaveLength(7);
    expect(processor.stats()).toEqual({ queuedSpans: 0, exportedSpans: 7, droppedSpans: 0 });
    expect(logs).toEqual([]);
  });
});
