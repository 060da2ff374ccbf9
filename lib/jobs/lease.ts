/**
 * Who may run a cluster-wide job (one that must run once across every payscope instance sharing a
 * ClickHouse, such as alert evaluation). Asked before each run; see docs/jobs.md for the
 * multi-instance design.
 */
export interface Lease {
  /** True when this instance may run `job` now. Called before every run of a cluster-scoped job. */
  holds(job: string): Promise<boolean>;
  /** Gives up what this instance holds (at stop), so another instance takes over without waiting. */
  release(): Promise<void>;
}

/**
 * The lease of a payscope that is the only instance on its store (the embedded store always is):
 * it holds every job.
 */
export class SingleInstanceLease implements Lease {
  async holds(): Promise<boolean> {
    return true;
  }

  async release(): Promise<void> {}
}
