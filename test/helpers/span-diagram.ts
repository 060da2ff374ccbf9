import type { CallSpan } from '../../lib/analytics/span';

/**
 * Hand-drawn traces for table-driven tests. One line per span: its name (optionally
 * `name:service:kind`), indented under its parent, then a bar whose first and last `|` are the
 * span's start and end. Column 0 is the first `|` of the first line; each column is `unit` ms.
 * The spans have the fields the span algorithms read (`CallSpan`, lib/analytics/span.ts).
 *
 *   root:checkout:server  |==========|        0..11
 *     call:checkout:client  |====|            2..7
 *       work:order:server    |==|             3..6
 */
export function spansFromDiagram(diagram: string, unit = 1): CallSpan[] {
  const lines = diagram.split('\n').filter((l) => l.trim() !== '');
  const firstBar = lines[0].indexOf('|');
  const stack: { indent: number; id: string }[] = [];
  const out: CallSpan[] = [];
  for (const line of lines) {
    const indent = line.length - line.trimStart().length;
    const [label] = line.trim().split(/\s+/);
    const [name, service = 'svc', kind = 'internal'] = label.split(':');
    const s = line.indexOf('|', indent + label.length);
    const e = line.lastIndexOf('|');
    if (s < 0 || e <= s) throw new Error(`no |===| bar in ${JSON.stringify(line)}`);
    while (stack.length && stack[stack.length - 1].indent >= indent) stack.pop();
    out.push({
      spanId: name,
      parentSpanId: stack.length ? stack[stack.length - 1].id : '',
      service,
      kind,
      startMs: (s - firstBar) * unit,
      durationMs: (e - s) * unit,
    });
    stack.push({ indent, id: name });
  }
  return out;
}

/** "A 0-5, B 5-20" from path segments (for readable expectations). */
export function formatSegments(segments: readonly { spanId: string; start: number; end: number }[]): string {
  return segments.map((s) => `${s.spanId} ${+s.start.toFixed(3)}-${+s.end.toFixed(3)}`).join(', ');
}
