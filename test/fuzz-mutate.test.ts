import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeTraceRequestProtobuf, OtlpDecodeError } from '../lib/ingest/otlp';
import { mutate, PB_MUTATORS, rng, walkProtobuf, type Seed } from '../fuzz/mutate';
import { kindFromName } from '../fuzz/oracle';

/** The fuzz mutators themselves: reproducible, and the structural ones keep requests well-formed. */
const dir = path.join(import.meta.dirname, '../fuzz/corpus');
const corpus: Seed[] = fs.readdirSync(dir).sort().flatMap((name) => {
  const type = kindFromName(name);
  return type ? [{ name, type, body: fs.readFileSync(path.join(dir, name)) }] : [];
});

describe('fuzz mutators', () => {
  it('the same seed gives the same mutations', () => {
    const run = (seed: number) => {
      const rand = rng(seed);
      return Array.from({ length: 300 }, () => {
        const s = corpus[Math.floor(rand() * corpus.length)];
        const m = mutate(rand, s, (t) => corpus.find((c) => c.type === t)!.body);
        return `${m.kind} ${Buffer.from(m.body).toString('base64')}`;
      });
    };
    expect(run(3)).toEqual(run(3));
    expect(run(3)).not.toEqual(run(4));
  });

  it('structural protobuf edits fix every enclosing length: the result is never truncated protobuf', () => {
    const valid = corpus.filter((s) => s.type === 'protobuf' && s.name.startsWith('ok-sdk'));
    expect(valid.length).toBeGreaterThan(0);
    const rand = rng(99);
    let decoded = 0;
    // (pb-replace-value also fixes lengths, but its new payload may itself be garbage)
    for (const name of ['pb-repeat-field', 'pb-drop-field', 'pb-swap-fields']) {
      for (let i = 0; i < 200; i++) {
        const s = valid[i % valid.length];
        const out = PB_MUTATORS[name](rand, s.body, walkProtobuf(s.body));
        if (!out) continue;
        try {
          decodeTraceRequestProtobuf(out);
          decoded++;
        } catch (e) {
          expect(e).toBeInstanceOf(OtlpDecodeError);
          expect((e as Error).message, name).not.toMatch(/truncated protobuf|exceeds remaining/);
        }
      }
    }
    expect(decoded).toBeGreaterThan(300);
  });

  it('walks nested protobuf fields: the spans and attributes of an SDK request are found', () => {
    const body = corpus.find((s) => s.name === 'ok-sdk-checkout.pb')!.body;
    const fields = walkProtobuf(body);
    const depths = fields.map((f) => { let d = 0; for (let p = f.parent; p >= 0; p = fields[p].parent) d++; return d; });
    expect(Math.max(...depths)).toBeGreaterThanOrEqual(5); // request → resource_spans → scope_spans → span → attribute → value
    expect(fields.every((f) => f.end <= body.length && f.start < f.end)).toBe(true);
  });
});
