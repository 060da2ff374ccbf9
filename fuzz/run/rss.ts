// Memory of the payscope process under fuzzing, from Linux /proc: sampled while the run lasts, and
// the kernel's own high-water mark at the end (a peak between two samples is not missed).
import fs from 'node:fs';

export function procStatusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0; // the process is gone
  }
}

export class RssSampler {
  private peakMb: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pid: number,
    alive: () => boolean,
    everyMs = 200,
  ) {
    this.peakMb = procStatusMb(pid, 'VmRSS');
    this.timer = setInterval(() => {
      if (alive()) this.peakMb = Math.max(this.peakMb, procStatusMb(pid, 'VmRSS'));
    }, everyMs);
  }

  /** Highest resident set seen, MB. */
  get peak(): number {
    return this.peakMb;
  }

  current(): number {
    return procStatusMb(this.pid, 'VmRSS');
  }

  /** Folds in the kernel's peak (VmHWM); call while the process still runs. */
  addKernelPeak(): void {
    this.peakMb = Math.max(this.peakMb, procStatusMb(this.pid, 'VmHWM'));
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
