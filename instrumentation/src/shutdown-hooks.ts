/**
 * Flushes telemetry when the process is about to end, without changing how it ends:
 * - SIGTERM / SIGINT: if the app (or a library) listens for the signal too, its handler decides
 *   what happens next and we only flush alongside it. If we are the only listener, Node would
 *   have been killed by the signal, so after the bounded flush we remove our listener and
 *   re-raise the signal: the process dies of it, with the same status a parent process or
 *   orchestrator would have seen without payscope. (The upstream register entry instead keeps
 *   a SIGTERM listener that never exits.)
 * - beforeExit (the event loop ran dry): flush, then exit with the app's `process.exitCode`,
 *   unless the app listens for beforeExit itself.
 * A second signal during the flush ends the process at once.
 */
export function installShutdownHooks(shutdown: () => Promise<void>): () => void {
  let flushing: Promise<void> | undefined;
  const flush = (): Promise<void> => (flushing ??= shutdown().catch(() => undefined));

  const onSignal = (signal: NodeJS.Signals): void => {
    const appListens = process.listenerCount(signal) > 1;
    const alreadyFlushing = flushing !== undefined;
    const done = flush();
    if (appListens) return;
    if (alreadyFlushing) {
      reRaise(signal);
      return;
    }
    void done.then(() => reRaise(signal));
  };

  const reRaise = (signal: NodeJS.Signals): void => {
    uninstall();
    process.kill(process.pid, signal);
  };

  const onBeforeExit = (): void => {
    if (flushing !== undefined) return;
    const appListens = process.listenerCount('beforeExit') > 1;
    void flush().then(() => {
      if (!appListens) process.exit();
    });
  };

  const uninstall = (): void => {
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('beforeExit', onBeforeExit);
  };

  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('beforeExit', onBeforeExit);
  return uninstall;
}
