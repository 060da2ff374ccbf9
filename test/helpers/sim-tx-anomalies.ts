/** One account-service span of a distributed transaction's branch call. */
export interface TxPhaseSpan {
  txId: string;
  branch: string;
  phase: string;
  startMs: number;
  error: boolean;
}

/**
 * The transaction anomalies a set of branch-call spans shows (`txId branch kind`), worked out from
 * the spans alone by the rules of sim/README.md, to hold the simulator's ground truth against:
 *
 *   empty_rollback       a cancel, and no try for the branch
 *   hanging              the branch's try starts after its cancel
 *   unfinished           a try that succeeded, and neither confirm nor cancel
 *   mixed_outcome        a branch cancelled after its try while another branch of the transaction confirmed
 *   failed_compensation  a compensate that errored
 */
export function txAnomaliesOf(spans: readonly TxPhaseSpan[]): string[] {
  const branches = new Map<string, TxPhaseSpan[]>();
  for (const s of spans) {
    const key = `${s.txId} ${s.branch}`;
    (branches.get(key) ?? branches.set(key, []).get(key)!).push(s);
  }
  const confirmedTx = new Set([...branches].filter(([, l]) => l.some((p) => p.phase === 'confirm' && !p.error)).map(([k]) => k.split(' ')[0]));
  const out: string[] = [];
  for (const [key, list] of branches) {
    const first = (phase: string) => list.find((p) => p.phase === phase);
    const tryP = first('try');
    const cancel = first('cancel');
    if (cancel && !tryP) out.push(`${key} empty_rollback`);
    if (cancel && tryP && tryP.startMs > cancel.startMs) out.push(`${key} hanging`);
    if (tryP && !tryP.error && !first('confirm') && !cancel) out.push(`${key} unfinished`);
    if (cancel && tryP && tryP.startMs < cancel.startMs && confirmedTx.has(key.split(' ')[0])) out.push(`${key} mixed_outcome`);
    if (list.some((p) => p.phase === 'compensate' && p.error)) out.push(`${key} failed_compensation`);
  }
  return out;
}
