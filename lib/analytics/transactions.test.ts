import { describe, expect, it } from 'vitest';
import {
  countTransactionAnomalies,
  findTransactionAnomalies,
  type TransactionAnomaly,
  type TransactionPhaseSpan,
} from './transactions';

/**
 * Phase spans drawn one per line: `tx/branch phase[!] [@trace] [#order]` and a bar whose first and
 * last `|` are start and end (column 0 is the first `|` of the first line, one column per unit).
 * `!` marks a failed phase; a span's trace is `<tx>` unless `@trace` says otherwise.
 *
 *   T1/account try      |==|          0..3
 *   T1/account cancel        |=|      5..7
 */
function phasesFromDiagram(diagram: string): TransactionPhaseSpan[] {
  const lines = diagram.split('\n').filter((l) => l.trim() !== '');
  const firstBar = lines[0].indexOf('|');
  return lines.map((line) => {
    const s = line.indexOf('|');
    const e = line.lastIndexOf('|');
    if (s < 0 || e <= s) throw new Error(`no |===| bar in ${JSON.stringify(line)}`);
    const [txBranch, phaseMark, ...rest] = line.slice(0, s).trim().split(/\s+/);
    const [txId, branch = ''] = txBranch.split('/');
    return {
      txId,
      branch,
      phase: phaseMark.replace(/!$/, ''),
      failed: phaseMark.endsWith('!'),
      start: s - firstBar,
      end: e - firstBar,
      traceId: rest.find((r) => r.startsWith('@'))?.slice(1) ?? txId,
      orderId: rest.find((r) => r.startsWith('#'))?.slice(1) ?? '',
    };
  });
}

/** `tx/branch kind` per anomaly, in the order returned. */
const brief = (anomalies: TransactionAnomaly[]) => anomalies.map((a) => `${a.txId}/${a.branch} ${a.kind}`);

const SLA = 5;

describe('findTransactionAnomalies', () => {
  it.each([
    {
      name: 'TCC commit: every branch tried and confirmed',
      asOf: 40,
      diagram: `
        T/account try       |==|
        T/points try        |=|
        T/account confirm        |=|
        T/points confirm         |=|`,
      kinds: [],
    },
    {
      name: 'clean rollback: one try failed, the other succeeded, both cancelled',
      asOf: 40,
      diagram: `
        T/account try       |==|
        T/points try!       |=|
        T/account cancel         |=|
        T/points cancel          |=|`,
      kinds: [],
    },
    {
      name: 'empty rollback: a cancel on a branch whose try never ran',
      asOf: 40,
      diagram: `
        T/account try       |==|
        T/account cancel         |=|
        T/points cancel          |=|`,
      kinds: ['T/points empty_rollback'],
    },
    {
      name: 'hanging: the try arrives after the cancel of its branch; the cancel is no empty rollback (the try did run) and the late try is not also unfinished',
      asOf: 40,
      diagram: `
        T/points cancel     |=|
        T/points try            |==|`,
      kinds: ['T/points hanging'],
    },
    {
      name: 'hanging: a try before the cancel and a second one after it',
      asOf: 40,
      diagram: `
        T/points try        |=|
        T/points cancel        |=|
        T/points try              |=|`,
      kinds: ['T/points hanging'],
    },
    {
      name: 'a try already running when the cancel starts is neither an empty rollback nor a hang',
      asOf: 40,
      diagram: `
        T/points try        |=====|
        T/points cancel       |=|`,
      kinds: [],
    },
    {
      name: 'unfinished: the try succeeded and nothing followed within the SLA',
      asOf: 40,
      diagram: `
        T/account try       |==|`,
      kinds: ['T/account unfinished'],
    },
    {
      name: 'not unfinished yet: the SLA has not passed at the end of the range',
      asOf: 7,
      diagram: `
        T/account try       |==|`,
      kinds: [],
    },
    {
      name: 'unfinished: the confirm came after the SLA',
      asOf: 40,
      diagram: `
        T/account try       |==|
        T/account confirm            |=|`,
      kinds: ['T/account unfinished'],
    },
    {
      name: 'a confirm starting exactly at the end of the SLA settles the branch',
      asOf: 40,
      diagram: `
        T/account try       |==|
        T/account confirm           |=|`,
      kinds: [],
    },
    {
      name: 'unfinished: the only confirm failed',
      asOf: 40,
      diagram: `
        T/account try       |==|
        T/account confirm!     |=|`,
      kinds: ['T/account unfinished'],
    },
    {
      name: 'a failed try reserved nothing: not unfinished',
      asOf: 40,
      diagram: `
        T/account try!      |==|`,
      kinds: [],
    },
    {
      name: 'mixed outcome: one branch confirmed, another cancelled (each in its own trace)',
      asOf: 40,
      diagram: `
        T/account try @t1   |==|
        T/points try @t1    |=|
        T/account confirm @t2    |=|
        T/points cancel @t3      |=|`,
      kinds: ['T/points mixed_outcome'],
    },
    {
      name: 'a failed confirm beside a cancel is no mixed outcome (the confirm did not happen)',
      asOf: 40,
      diagram: `
        T/account try       |==|
        T/points try        |=|
        T/account confirm!    |=|
        T/account cancel         |=|
        T/points cancel          |=|`,
      kinds: [],
    },
    {
      name: 'failed compensation: a Saga compensate step errors',
      asOf: 40,
      diagram: `
        S/ledger action     |==|
        S/wallet action!       |=|
        S/ledger compensate!     |=|`,
      kinds: ['S/ledger failed_compensation'],
    },
    {
      name: 'a compensation that failed is an anomaly even when a retry then succeeded',
      asOf: 40,
      diagram: `
        S/ledger action     |==|
        S/wallet action!       |=|
        S/ledger compensate!     |=|
        S/ledger compensate         |=|`,
      kinds: ['S/ledger failed_compensation'],
    },
    {
      name: 'Saga rollback: the failed action is compensated too, every compensation succeeds',
      asOf: 40,
      diagram: `
        S/ledger action     |==|
        S/wallet action!       |=|
        S/wallet compensate      |=|
        S/ledger compensate         |=|`,
      kinds: [],
    },
    {
      name: 'phases outside the five are ignored',
      asOf: 40,
      diagram: `
        T/account prepare   |==|
        T/account commit         |=|`,
      kinds: [],
    },
  ])('$name', ({ diagram, asOf, kinds }) => {
    expect(brief(findTransactionAnomalies(phasesFromDiagram(diagram), { asOf, sla: SLA }))).toEqual(kinds);
  });

  it('one row per transaction, branch and kind, with the branch payment and traces; the newest transaction first', () => {
    const anomalies = findTransactionAnomalies(
      phasesFromDiagram(`
        OLD/points cancel @x1 #ord-1         |=|
        NEW/account try @y2 #ord-2                 |==|
        NEW/account confirm @y1                       |=|
        NEW/points try @y3                         |=|
        NEW/points cancel @y4                         |=|
        NEW/wallet cancel @y5                         |=|`),
      { asOf: 100, sla: SLA },
    );
    expect(anomalies).toEqual([
      { txId: 'NEW', branch: 'points', kind: 'mixed_outcome', orderId: 'ord-2', traceIds: ['y1', 'y2', 'y3', 'y4', 'y5'] },
      { txId: 'NEW', branch: 'wallet', kind: 'empty_rollback', orderId: 'ord-2', traceIds: ['y5'] },
      { txId: 'NEW', branch: 'wallet', kind: 'mixed_outcome', orderId: 'ord-2', traceIds: ['y1', 'y2', 'y3', 'y4', 'y5'] },
      { txId: 'OLD', branch: 'points', kind: 'empty_rollback', orderId: 'ord-1', traceIds: ['x1'] },
    ]);
    expect(countTransactionAnomalies(anomalies)).toEqual({ empty_rollback: 2, hanging: 0, unfinished: 0, mixed_outcome: 2, failed_compensation: 0 });
  });

  it('a branch with many spans is judged without spreading them into arguments', () => {
    const many = Array.from({ length: 200_000 }, (_, i) => ({
      txId: 'BIG', branch: 'b', phase: 'cancel', start: i, end: i + 1, failed: false, orderId: '', traceId: 't',
    }));
    expect(brief(findTransactionAnomalies(many, { asOf: 1e6, sla: SLA }))).toEqual(['BIG/b empty_rollback']);
  });
});
