// Runs in every vitest worker. The instrumentation package's tests must not import the app (the
// package depends on nothing of payscope's), yet their default trace backend is a real payscope:
// the repository plugs it in here, under a global key the package's test helper looks up.
(globalThis as Record<symbol, unknown>)[Symbol.for('payscope.test.traceStore')] = async (options?: { ingestToken?: string }) =>
  (await import('./payscope-trace-backend')).startPayscopeTraceStore(options);
