import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinErrorCodes, classifyGatewayError, ErrorCodeTable, NETWORK_ERROR_TYPES, parseErrorClasses, type GatewayCallFacts } from '../analytics/error-taxonomy';
import { TIMEOUT_ERROR_TYPES } from '../analytics/gateways';
import { sql } from '../store/sql';
import type { Store } from '../store/store';
import { openTempStore } from '../../test/helpers/store';
import { defaultGatewayHosts, queryConstants } from './common';
import { errorClassConstants, errorClassSql } from './error-class';

let store: Store;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ store, cleanup } = await openTempStore()));
afterAll(async () => cleanup?.());

/** The SQL classification of each call, evaluated by the real engine over bound arrays. */
async function classifyInSql(calls: GatewayCallFacts[], table: ErrorCodeTable): Promise<string[]> {
  const rows = await store.query<{ i: number; cls: string }>(sql`
    WITH ${queryConstants(defaultGatewayHosts())}, ${errorClassConstants(table)},
         ${calls.map((c) => c.gateway)} AS _g, ${calls.map((c) => c.errorCode)} AS _c, ${calls.map((c) => Number(c.isError))} AS _e,
         ${calls.map((c) => c.errorType)} AS _t, ${calls.map((c) => c.timeoutFlag)} AS _f, ${calls.map((c) => c.httpStatus)} AS _s
    SELECT i, ${errorClassSql({ gateway: 'gw', code: 'code', isError: 'err', errorType: 'etype', timeoutFlag: 'flag', httpStatus: 'status' })} AS cls
    FROM (SELECT arrayJoin(range(1, length(_g) + 1)) AS i, _g[i] AS gw, _c[i] AS code, _e[i] = 1 AS err, _t[i] AS etype, _f[i] AS flag, toUInt16(_s[i]) AS status)
    ORDER BY i`);
  return rows.map((r) => r.cls);
}

/** A deterministic pseudo-random generator (so a failure can be replayed). */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

describe('errorClassSql', () => {
  it('classes every call as classifyGatewayError does: every built-in code, fallbacks, configured codes, random mixes', async () => {
    const table = new ErrorCodeTable(parseErrorClasses('{"stripe": {"card_velocity_exceeded": "fraud"}, "*": {"E_PSP_DOWN": "network"}}'));
    const base: GatewayCallFacts = { gateway: '', errorCode: '', isError: true, errorType: '', timeoutFlag: '', httpStatus: 0 };
    const calls: GatewayCallFacts[] = builtinErrorCodes().map((e) => ({ ...base, gateway: e.gateway === '*' ? 'other' : e.gateway, errorCode: e.code.toUpperCase() }));
    const rnd = lcg(14);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    const gateways = ['stripe', 'adyen', 'Alipay', 'wechatpay', 'unionpay', 'braintree', 'acme', ''];
    const codes = ['', 'insufficient_funds', 'ACQ.SYSTEM_ERROR', 'NOTENOUGH', '03', '2001', 'card_velocity_exceeded', 'e_psp_down', 'nope', "x' OR 1=1 --"];
    const types = ['', 'Error', '500', '402', '999', ...NETWORK_ERROR_TYPES.slice(0, 3), 'ECONNREFUSED', ...TIMEOUT_ERROR_TYPES.slice(0, 3)];
    for (let i = 0; i < 400; i++) {
      calls.push({
        gateway: pick(gateways), errorCode: pick(codes), isError: rnd() < 0.8, errorType: pick(types),
        timeoutFlag: pick(['', '', 'true', 'false']), httpStatus: pick([0, 0, 200, 400, 401, 402, 408, 429, 500, 503, 600]),
      });
    }
    const got = await classifyInSql(calls, table);
    const want = calls.map((c) => classifyGatewayError(c, table) ?? '');
    const mismatches = calls.map((c, i) => ({ c, sql: got[i], js: want[i] })).filter((m) => m.sql !== m.js);
    expect(mismatches).toEqual([]);
    // The sample exercises every class.
    expect(new Set(want)).toEqual(new Set(['', 'decline', 'fraud', 'invalid_request', 'provider_error', 'timeout', 'network', 'unknown']));
  });
});
