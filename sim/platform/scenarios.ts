import { SCENARIO_NAMES, SCENARIOS, type Scenario, type ScenarioName } from '../model/scenarios';
import { CHANNELS, COUNTRIES } from '../model/catalog';
import { GATEWAY_NAMES, type Gateway } from './topology';

/**
 * The live platform's fault scenarios: the same ones (names, targets, parameters) as the seeder's
 * (sim/model/scenarios.ts), switched at run time instead of applied to a window of history. A
 * switch starts a new period; every fault a service applies is recorded with the period it
 * belongs to (ground-truth.ts).
 */

export { SCENARIO_NAMES, SCENARIOS };
export type { Scenario, ScenarioName };

/**
 * What `POST /scenario` and `--scenario` accept: a name, and optionally another target or any of the
 * scenario's strengths (sim/model/scenarios.ts).
 */
export type ScenarioRequest = { name: ScenarioName } & Partial<Omit<Scenario, 'name' | 'description' | 'target'>> & {
  /** gateway-degraded, lost-callbacks, decline-wave, gateway-failover, double-charge: the gateway. */
  gateway?: Gateway;
  /** issuer-skew: the card issuer that declines more. */
  issuer?: string;
  /** slow-db: the service whose database call slows down (`inventory` or `order`). */
  service?: string;
  /** timeout-misconfig: the adapter whose timeout is too short (`adapter-card`, ...). */
  caller?: string;
};

/** The scenario in force, as broadcast to every service. */
export interface ActiveScenario extends Scenario {
  /** Increases at every switch; ground-truth records carry it. */
  period: number;
  startedAt: string;
}

const DB_SERVICES = ['inventory', 'order'] as const;
const ADAPTERS = CHANNELS.map((c) => c.adapter);
const RATES = ['extraErrorRate', 'extraHangRate', 'lostCallbackRate', 'extraDeclineRate', 'outageRate', 'slowProcessedRate', 'txAnomalyRate'] as const;
const GATEWAY_SCENARIOS: readonly ScenarioName[] = ['gateway-degraded', 'lost-callbacks', 'decline-wave', 'gateway-failover', 'double-charge'];
const ISSUERS = [...new Set(Object.values(COUNTRIES).flatMap((c) => c.issuers))];
const POSITIVE = ['latencyFactor', 'dbExtraMedianMs', 'dbExtraSigma', 'callerTimeoutMs'] as const;

export class ScenarioError extends Error {}

/** Validates a request and resolves it against the named scenario's defaults. */
export function resolveScenario(request: ScenarioRequest | ScenarioName): Scenario {
  const req: ScenarioRequest = typeof request === 'string' ? { name: request } : request;
  const base = SCENARIOS[req.name as ScenarioName];
  if (base === undefined) {
    throw new ScenarioError(`unknown scenario ${JSON.stringify(req.name)}; one of: ${SCENARIO_NAMES.join(', ')}`);
  }
  const scenario: Scenario = { ...base, target: { ...base.target } };
  if (req.gateway !== undefined) {
    if (!GATEWAY_NAMES.includes(req.gateway)) throw new ScenarioError(`gateway must be one of ${GATEWAY_NAMES.join(', ')}`);
    if (!GATEWAY_SCENARIOS.includes(scenario.name)) throw new ScenarioError(`${scenario.name} takes no gateway`);
    scenario.target.gateway = req.gateway;
  }
  if (req.issuer !== undefined) {
    if (scenario.name !== 'issuer-skew') throw new ScenarioError(`${scenario.name} takes no issuer`);
    if (!ISSUERS.includes(req.issuer)) throw new ScenarioError(`issuer must be one of ${ISSUERS.join(', ')}`);
    scenario.target.issuer = req.issuer;
  }
  if (req.service !== undefined) {
    if (scenario.name !== 'slow-db') throw new ScenarioError(`${scenario.name} takes no service`);
    if (!(DB_SERVICES as readonly string[]).includes(req.service)) throw new ScenarioError(`service must be one of ${DB_SERVICES.join(', ')}`);
    scenario.target.service = req.service;
  }
  if (req.caller !== undefined) {
    if (scenario.name !== 'timeout-misconfig') throw new ScenarioError(`${scenario.name} takes no caller`);
    const channel = CHANNELS.find((c) => c.adapter === req.caller);
    if (channel === undefined) throw new ScenarioError(`caller must be one of ${ADAPTERS.join(', ')}`);
    scenario.target = { caller: channel.adapter, gateway: channel.gateway };
  }
  for (const key of RATES) {
    const value = req[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new ScenarioError(`${key} must be a number in [0, 1]`);
    scenario[key] = value;
  }
  for (const key of POSITIVE) {
    const value = req[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) throw new ScenarioError(`${key} must be a positive number`);
    scenario[key] = value;
  }
  if (scenario.name !== 'baseline') scenario.description = describe(scenario);
  return scenario;
}

/** The description with the parameters actually in force (overrides change it). */
function describe(s: Scenario): string {
  const pct = (x = 0) => `${Math.round(x * 100)}%`;
  switch (s.name) {
    case 'gateway-degraded':
      return `${s.target.gateway} degraded: ${pct(s.extraErrorRate)} of requests fail with a provider error, latency x${s.latencyFactor}, ${pct(s.extraHangRate)} hang until the caller times out`;
    case 'lost-callbacks':
      return `${s.target.gateway} loses ${pct(s.lostCallbackRate)} of its payment callbacks (webhooks never arrive)`;
    case 'slow-db':
      return `${s.target.service}'s database call slows down by ~${s.dbExtraMedianMs} ms`;
    case 'timeout-misconfig':
      return `${s.target.caller}'s timeout towards ${s.target.gateway} is ${s.callerTimeoutMs} ms, shorter than ${s.target.gateway}'s p99: slow requests time out although ${s.target.gateway} completes them`;
    case 'decline-wave':
      return `${s.target.gateway}: ${pct(s.extraDeclineRate)} more payer declines: acceptance falls, the gateway itself is healthy`;
    case 'gateway-failover':
      return `${s.target.gateway}: ${pct(s.outageRate)} of requests hang unprocessed until the caller times out; each is retried on the channel's other gateway`;
    case 'double-charge':
      return `${s.target.gateway}: ${pct(s.slowProcessedRate)} of requests answer after the caller timed out although charged; the retry charges again`;
    case 'tx-anomalies':
      return `distributed transactions: ${pct(s.txAnomalyRate)} of them each get an empty rollback, a hanging try, an unfinished try, a mixed outcome or a failed compensation`;
    case 'issuer-skew':
      return `cards issued by ${s.target.issuer}: ${pct(s.extraDeclineRate)} more declines (do_not_honor), other issuers unchanged`;
    default:
      return s.description;
  }
}

/** Parses `--scenario name[,key=value...]`, e.g. `gateway-degraded,gateway=stripe,extraErrorRate=0.5`. */
export function parseScenarioArg(text: string): ScenarioRequest {
  const [name, ...pairs] = text.split(',').map((s) => s.trim());
  const req: Record<string, unknown> = { name };
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ScenarioError(`expected key=value, got ${JSON.stringify(pair)}`);
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    req[key] = raw !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : raw;
  }
  return req as unknown as ScenarioRequest;
}
