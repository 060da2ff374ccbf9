import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import { CHANNELS, GATEWAYS, SERVICES, type Channel, type ChannelProfile, type Gateway, type Service } from '../model/catalog';

/**
 * Who runs where. Every service is its own process on 127.0.0.1 and its own port. Services call each
 * other by name (`http://order:4703/orders`), like in a cluster, and the adapters call the mock
 * gateways under `<gateway>.sim.localhost` names: `.localhost` can never leave the machine, and the
 * names go into PAYSCOPE_GATEWAY_HOSTS so payscope's instrumentation classifies those calls as
 * gateway calls the same way it classifies `api.stripe.com`.
 *
 *   traffic ─► checkout ─┬─► order ─► inventory
 *                        ├─► risk
 *                        └─► payment ─► adapter-<channel> ─► <gateway>.sim.localhost (mock provider)
 *   mock provider ─(webhook, new trace, seconds later)─► payment ─► order
 */

export { SERVICES };
export type { Service, Gateway, Channel };

export const GATEWAY_NAMES = Object.keys(GATEWAYS) as Gateway[];

export function isGateway(service: string): service is Gateway {
  return (GATEWAY_NAMES as string[]).includes(service);
}

/** The host name a service is called by. */
export function hostOf(service: Service): string {
  return isGateway(service) ? `${service}.sim.localhost` : service;
}

/** `PAYSCOPE_GATEWAY_HOSTS` for the mock gateways' host names. */
export function gatewayHostsEnv(): string {
  return GATEWAY_NAMES.map((g) => `${hostOf(g)}=${g}`).join(',');
}

export function channelProfile(channel: string): ChannelProfile | undefined {
  return CHANNELS.find((c) => c.channel === channel);
}

/** Every service name (internal or a gateway's `.sim.localhost` name) resolves to the loopback address. */
const SIM_NAMES = new Set<string>(SERVICES.map((s) => hostOf(s)));

export const simLookup: LookupFunction = (hostname, options, callback) => {
  if (!SIM_NAMES.has(hostname)) {
    dns.lookup(hostname, options, callback as never);
    return;
  }
  // net asks for all addresses (happy eyeballs) or for one.
  if ((options as dns.LookupOptions).all) {
    (callback as unknown as (err: null, addresses: dns.LookupAddress[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
  } else {
    callback(null, '127.0.0.1', 4);
  }
};

export type Addresses = Partial<Record<Service, number>>;
