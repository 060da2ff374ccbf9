import fs from 'node:fs';
import path from 'node:path';
import type { PendingRequest } from './group-commit';

/**
 * The write-ahead spool: every sealed batch is a file `<id>.rowbinary` before it is inserted, and is
 * removed once stored. A crash leaves either a `.tmp` file (never acknowledged: its exporter retries)
 * or a complete batch that the next start replays. Batches the store rejected after they were
 * acknowledged go to `dead-letter/`, kept for an operator. Spooled spans are whatever services sent
 * (payment data included): directories 0700, files 0600.
 */

const SUFFIX = '.rowbinary';
const DEAD_LETTER = 'dead-letter';

/** A sealed batch: its spool file and the requests whose rows make it up. */
export interface SpoolItem {
  id: string;
  file: string;
  bytes: number;
  /** -1 when not known (a batch replayed from the spool at start). */
  spans: number;
  /**
   * The requests whose rows make up the file, in order, answered or not; empty for a replayed batch,
   * whose request boundaries are not known.
   */
  requests: PendingRequest[];
  /** Inserts of this batch that failed with an error that may be caused by its size or content. */
  suspectFailures: number;
}

export class Spool {
  /** Bytes of the batch files waiting to be stored. */
  bytes = 0;
  readonly deadLetterDir: string;

  constructor(readonly dir: string, private readonly fsync: boolean) {
    this.deadLetterDir = path.join(dir, DEAD_LETTER);
  }

  /**
   * Creates the directories (tightening an older, looser mode) and returns the batches a previous
   * process spooled but did not store, oldest first, and how many dead-lettered batches there are.
   */
  open(): { replay: SpoolItem[]; deadLetters: number } {
    for (const dir of [this.dir, this.deadLetterDir]) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.chmodSync(dir, 0o700);
    }
    const deadLetters = fs.readdirSync(this.deadLetterDir).filter((n) => n.endsWith(SUFFIX)).length;
    const replay: SpoolItem[] = [];
    for (const name of fs.readdirSync(this.dir).sort()) {
      const file = path.join(this.dir, name);
      // A .tmp file was never acknowledged: its request got no 200, so its exporter retries it.
      if (name.endsWith('.tmp')) { fs.rmSync(file, { force: true }); continue; }
      if (!name.endsWith(SUFFIX)) continue;
      const bytes = fs.statSync(file).size;
      this.bytes += bytes;
      replay.push({ id: name.slice(0, -SUFFIX.length), file, bytes, spans: -1, requests: [], suspectFailures: 0 });
    }
    return { replay, deadLetters };
  }

  /** Writes a batch's file; the item is safe across a restart once this resolves. */
  async add(id: string, rows: Buffer[], bytes: number, spans: number, requests: PendingRequest[]): Promise<SpoolItem> {
    const file = path.join(this.dir, id + SUFFIX);
    await writeSpoolFile(file, rows, this.fsync);
    this.bytes += bytes;
    return { id, file, bytes, spans, requests, suspectFailures: 0 };
  }

  /** Reads the rows of each of the item's requests (they follow one another in the file). */
  async readRequests(item: SpoolItem): Promise<Buffer[]> {
    const data = await fs.promises.readFile(item.file);
    let at = 0;
    return item.requests.map((r) => data.subarray(at, (at += r.bytes)));
  }

  /** Replaces the item's file with `rows` of `requests` (atomically: a crash leaves either copy). */
  async rewrite(item: SpoolItem, rows: Buffer[], requests: PendingRequest[]): Promise<void> {
    const bytes = requests.reduce((n, r) => n + r.bytes, 0);
    await writeSpoolFile(item.file, rows, this.fsync);
    this.bytes -= item.bytes - bytes;
    item.bytes = bytes;
    item.spans = requests.reduce((n, r) => n + r.spans, 0);
    item.requests = requests;
  }

  /** The item was stored (or is not to be): its file goes. */
  async remove(item: SpoolItem): Promise<void> {
    this.bytes -= item.bytes;
    await fs.promises.rm(item.file, { force: true });
  }

  /**
   * Splits an item into one item per request. Ids are deterministic (`<batch id>-r0000`…): if a
   * crash replays the whole batch after some parts were stored, the same split gives the same
   * deduplication tokens, so no part is stored twice. The item's bytes must have been released
   * (`release`); the parts' are counted.
   */
  async split(item: SpoolItem): Promise<SpoolItem[]> {
    const rows = await this.readRequests(item);
    const parts: SpoolItem[] = [];
    for (let i = 0; i < item.requests.length; i++) {
      const r = item.requests[i];
      const id = `${item.id}-r${String(i).padStart(4, '0')}`;
      const file = path.join(this.dir, id + SUFFIX);
      await writeSpoolFile(file, [rows[i]], this.fsync);
      parts.push({ id, file, bytes: r.bytes, spans: r.spans, requests: [r], suspectFailures: 0 });
    }
    await fs.promises.rm(item.file, { force: true });
    this.bytes += item.bytes;
    return parts;
  }

  /** The item leaves the queue (its bytes no longer count), whatever becomes of its file. */
  release(item: SpoolItem): void {
    this.bytes -= item.bytes;
  }

  /** Moves a released item's file to `dead-letter/`, kept as is for an operator. */
  async deadLetter(item: SpoolItem): Promise<void> {
    await fs.promises.rename(item.file, path.join(this.deadLetterDir, path.basename(item.file)));
  }

  /** Deletes a released item's file. */
  async discard(item: SpoolItem): Promise<void> {
    await fs.promises.rm(item.file, { force: true });
  }
}

/** Writes a spool file atomically (.tmp, then rename), readable by payscope only. */
async function writeSpoolFile(file: string, buffers: Buffer[], fsync: boolean): Promise<void> {
  const tmp = file + '.tmp';
  const fh = await fs.promises.open(tmp, 'w', 0o600);
  try {
    await fh.writev(buffers);
    if (fsync) await fh.datasync();
  } finally {
    await fh.close();
  }
  await fs.promises.rename(tmp, file);
}
