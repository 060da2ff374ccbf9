// Preloaded (`--import`) into a process the demo starts but does not own the code of (payscope's
// scripts/start.ts): when the demo's process goes away, even killed outright, its IPC channel
// closes and this process stops as on SIGTERM, so nothing outlives the demo.
if (typeof process.send === 'function') {
  process.channel?.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
export {};
