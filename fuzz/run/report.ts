// The fuzz run's report: tables by input kind and by how inputs were sent, then the end checks.
import { emptyStats, type FuzzResult, type KindStats } from './model';

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows].map((r) => r.map(String));
  const w = head.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ')).join('\n');
}

export function formatReport(r: FuzzResult): string {
  const head = ['', 'tried', 'pb', 'json', 'grpc', 'gzip', '200', '400', '401', '413', '415', '429/503', 'failed'];
  const line = (name: string, s: KindStats) => [name, s.tried, s.protobuf, s.json, s.grpc, s.gzip, s.s200, s.s400, s.s401, s.s413, s.s415, s.overload, s.failed];
  const sum = (rows: KindStats[]) => rows.reduce((a, s) => {
    for (const k of Object.keys(a) as (keyof KindStats)[]) a[k] += s[k];
    return a;
  }, emptyStats());
  const kinds = Object.entries(r.byKind).sort((a, b) => b[1].tried - a[1].tried);
  const variants = Object.entries(r.byVariant).sort((a, b) => b[1].tried - a[1].tried);
  const gen = Object.entries(r.generated).map(([name, answers]) => `  ${name.padEnd(32)} ${Object.entries(answers).map(([s, n]) => `${s}×${n}`).join(' ')}`);
  return [
    `inputs by kind (gRPC codes counted with their HTTP equivalents):`,
    table(['kind', ...head.slice(1)], [...kinds.map(([k, s]) => line(k, s)), line('total', sum(kinds.map(([, s]) => s)))]),
    '',
    `inputs by how they were sent:`,
    table(['sent as', ...head.slice(1)], variants.map(([k, s]) => line(k, s))),
    '',
    `generated cases sent as they are:`,
    ...gen,
    '',
    `statuses: ${Object.entries(r.statuses).sort().map(([k, n]) => `${k}: ${n}`).join(', ')}`,
    `${r.inputs} inputs in ${r.elapsedSeconds} s (${r.requestsPerSec}/s, ${(r.bytesSent / 2 ** 20).toFixed(0)} MiB sent), slowest answer ${r.maxLatencyMs} ms, seed ${r.seed}, concurrency ${r.concurrency}`,
    `payscope: ${r.serverAlive ? 'alive throughout' : 'EXITED'}, peak RSS ${r.peakRssMb} MB (bound ${r.maxRssMb} MB); spans: ${r.expectedStoredSpans} acknowledged, ${r.serverAcceptedSpans} accepted by payscope, ${r.storedSpans} stored`,
    `failures: ${r.failures}${r.crashFiles.length ? ` (inputs saved: ${r.crashFiles.join(', ')})` : ''}`,
    ...r.failureSamples.slice(0, 10).map((f) => `  ${f.kind} (${f.source}, ${f.transport}): ${f.reason.split('\n')[0].slice(0, 300)}`),
  ].join('\n');
}
