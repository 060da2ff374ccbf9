import type { Cause, Effect, OrderRecord } from './ground-truth';
import type { Baseline } from '../model/catalog';
import type { FromService, ServiceConfig, ToService } from './ipc';
import type { ActiveScenario } from './scenarios';
import type { Addresses, Service } from './topology';

/**
 * What a service process knows about the platform: the other services' ports, the scenario in
 * force, the baseline rates and the time scale, all sent by the platform over IPC. It also reports
 * ground truth back and owns the process's pending timers (callbacks due later), so a stop is quick.
 */
export class ServiceRuntime {
  private config: ServiceConfig | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly tasks = new Set<Promise<unknown>>();
  private readyResolve!: () => void;
  readonly ready = new Promise<void>((resolve) => (this.readyResolve = resolve));

  constructor(
    readonly service: Service,
    private readonly send: (message: FromService) => void,
  ) {}

  receive(message: ToService): void {
    if (message.type === 'configure') {
      const { addresses, scenario, baseline, timeScale } = message;
      this.config = { addresses, scenario, baseline, timeScale };
      this.readyResolve();
    } else if (message.type === 'scenario' && this.config !== undefined) {
      this.config.scenario = message.scenario;
    }
  }

  private get current(): ServiceConfig {
    if (this.config === undefined) throw new Error(`${this.service} is not configured yet`);
    return this.config;
  }

  get addresses(): Addresses {
    return this.current.addresses;
  }

  get scenario(): ActiveScenario {
    return this.current.scenario;
  }

  get baseline(): Baseline {
    return this.current.baseline;
  }

  /** Third-party timings (provider latency, callback delays, adapter timeouts) are multiplied by this. */
  get timeScale(): number {
    return this.current.timeScale;
  }

  /**
   * Reports what happened to an order, tagged with the scenario period in force now, or with the
   * one in force when the decision was taken (`scenario`, for effects that play out later).
   */
  truth(orderId: string, effect: Effect, cause: Cause, detail?: Record<string, unknown>, scenario: ActiveScenario = this.scenario): void {
    const record: OrderRecord = {
      type: 'order',
      at: new Date().toISOString(),
      period: scenario.period,
      scenario: scenario.name,
      orderId,
      service: this.service,
      effect,
      cause,
    };
    if (detail !== undefined) record.detail = detail;
    this.send({ type: 'truth', record });
  }

  /** setTimeout that a stop cancels. */
  later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  cancelTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** Background work (a callback being delivered) that a stop waits for. */
  track(task: Promise<unknown>): void {
    this.tasks.add(task);
    void task.finally(() => this.tasks.delete(task));
  }

  /** Resolves when the tracked background work is done, or after `maxMs`. */
  async idle(maxMs: number): Promise<void> {
    const bound = sleep(maxMs);
    await Promise.race([Promise.allSettled([...this.tasks]), bound]);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
