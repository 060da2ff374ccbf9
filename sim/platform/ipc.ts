import type { Baseline } from '../model/catalog';
import type { OrderRecord } from './ground-truth';
import type { ActiveScenario } from './scenarios';
import type { Addresses } from './topology';



export interface ServiceConfig {
  /** Port of every service on 127.0.0.1. */
  addresses: Addresses;
  scenario: ActiveScenario;
  baseline: Baseline;
  /** Multiplies the third-party timings: provider latency, callback delays and the adapters' timeouts. */
  timeScale: number;
}

/** Platform → service, over the child process IPC channel (never traced, never on the network). */
export type ToService =
  | ({ type: 'configure' } & ServiceConfig)
  | { type: 'scenario'; scenario: ActiveScenario }
  /** Before a stop: start nothing new (no more callbacks), finish what is under way, answer `quiet`. */
  | { type: 'quiesce' };

/** Service → platform. */
export type FromService =
  | { type: 'listening'; port: number }
  | { type: 'quiet' }
  | { type: 'truth'; record: OrderRecord }
  | { type: 'stats'; exportedSpans: number; droppedSpans: number; queuedSpans: number };
