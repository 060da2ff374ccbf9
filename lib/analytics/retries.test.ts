import { describe, expect, it } from 'vitest';
import { ErrorCodeTable } from './error-taxonomy';
import { analyzeOrderAttempts, failoverMatrix, type AttemptEvent } from './retries';

const table = new ErrorCodeTable();

/**
 * One order's gateway spans, one per line, in time order:
 *   `<at> req <gateway> <ok|accepted|timeout|error CODE HTTP> [#n] [ref:R]`   a gateway.request
 *   `<at> cb  <gateway> <succeeded|failed CODE> [#n] [ref:R] [dup]`            a gateway.callback
 * (#n: payment.attempt, ref:R: payment.provider_ref, dup: payment.callback.duplicate)
 */
function order(lines: string): AttemptEvent[] {
  return lines.trim().split('\n').map((line, i) => {
    const [at, kind, gateway, what, ...rest] = line.trim().split(/\s+/);
    const e: AttemptEvent = {
      stage: kind === 'req' ? 'gateway.request' : 'gateway.callback', at: Number(at), gateway, outcome: '', errorCode: '', isError: false,
      errorType: '', timeoutFlag: '', httpStatus: 0, attempt: 0, duplicate: rest.includes('dup'), providerRef: '', traceId: `t${i}`,
    };
    const ref = rest.find((r) => r.startsWith('ref:'));
    if (ref) e.providerRef = ref.slice(4);
    const n = rest.find((r) => r.startsWith('#'));
    if (n) e.attempt = Number(n.slice(1));
    if (what === 'ok' || what === 'succeeded') e.outcome = 'succeeded';
    if (what === 'accepted') e.outcome = 'pending';
    if (what === 'timeout') Object.assign(e, { isError: true, errorType: 'timeout', timeoutFlag: 'true' });
    if (what === 'error') Object.assign(e, { isError: true, outcome: 'failed', errorCode: rest[0], httpStatus: Number(rest[1]) });
    if (what === 'failed') Object.assign(e, { outcome: 'failed', errorCode: rest[0] });
    return e;
  });
}

const summary = (lines: string) => {
  const r = analyzeOrderAttempts(order(lines), table);
  return { attempts: r.attempts.map((a) => `${a.gateway} ${a.outcome} ${a.errorClass ?? '-'}`), charges: r.charges, retried: r.retried, recovered: r.recovered };
};

describe('analyzeOrderAttempts', () => {
  it.each([
    {
      name: 'one attempt, accepted, answered by its callback: one charge, no retry',
      lines: `
        0  req stripe accepted
        90 cb  stripe succeeded`,
      want: { attempts: ['stripe succeeded -'], charges: 1, retried: false, recovered: false },
    },
    {
      name: 'a success reported on the request and again by its callback is one charge',
      lines: `
        0  req stripe ok
        50 cb  stripe succeeded`,
      want: { attempts: ['stripe succeeded -'], charges: 1, retried: false, recovered: false },
    },
    {
      name: 'a duplicate delivery that was not fulfilled again is no second charge',
      lines: `
        0  req alipay accepted
        40 cb  alipay succeeded
        70 cb  alipay succeeded dup`,
      want: { attempts: ['alipay succeeded -'], charges: 1, retried: false, recovered: false },
    },
    {
      name: 'two callbacks both fulfilled (neither marked duplicate): charged twice',
      lines: `
        0  req alipay accepted
        40 cb  alipay succeeded
        70 cb  alipay succeeded`,
      want: { attempts: ['alipay succeeded -'], charges: 2, retried: false, recovered: false },
    },
    {
      name: 'a timeout, failover to adyen, then the late callback says the first attempt succeeded too: double charge',
      lines: `
        0   req stripe timeout
        10  req adyen  accepted
        30  cb  adyen  succeeded
        200 cb  stripe succeeded`,
      want: { attempts: ['stripe succeeded timeout', 'adyen succeeded -'], charges: 2, retried: true, recovered: true },
    },
    {
      name: 'a timeout nobody answered, recovered on the same gateway: one charge',
      lines: `
        0  req stripe timeout
        10 req stripe accepted
        30 cb  stripe succeeded`,
      want: { attempts: ['stripe timeout timeout', 'stripe succeeded -'], charges: 1, retried: true, recovered: true },
    },
    {
      name: 'a provider error, failover, declined by the second provider: retried, not recovered',
      lines: `
        0  req wechatpay error SYSTEMERROR 500
        5  req alipay    accepted
        40 cb  alipay    failed ACQ.BUYER_BALANCE_NOT_ENOUGH`,
      want: { attempts: ['wechatpay failed provider_error', 'alipay failed decline'], charges: 0, retried: true, recovered: false },
    },
    {
      name: 'a rejected request is never answered: the callback belongs to the accepted attempt before it',
      lines: `
        0  req stripe accepted
        5  req stripe error rate_limit 429
        30 cb  stripe succeeded`,
      want: { attempts: ['stripe succeeded -', 'stripe failed provider_error'], charges: 1, retried: true, recovered: false },
    },
    {
      name: 'two fulfilled callbacks with one charge id are one charge',
      lines: `
        0  req alipay accepted  ref:A1
        40 cb  alipay succeeded ref:A1
        70 cb  alipay succeeded ref:A1`,
      want: { attempts: ['alipay succeeded -'], charges: 1, retried: false, recovered: false },
    },
    {
      name: 'two callbacks with different charge ids are two charges',
      lines: `
        0  req alipay accepted
        40 cb  alipay succeeded ref:A1
        70 cb  alipay succeeded ref:A2`,
      want: { attempts: ['alipay succeeded -'], charges: 2, retried: false, recovered: false },
    },
    {
      name: 'a callback naming its attempt answers that one, not the latest on the gateway',
      lines: `
        0   req stripe timeout         #1
        10  req stripe accepted        #2
        30  cb  stripe succeeded       #1
        90  cb  stripe failed do_not_honor #2`,
      want: { attempts: ['stripe succeeded timeout', 'stripe failed decline'], charges: 1, retried: true, recovered: false },
    },
    {
      name: 'payment.attempt orders attempts whose clocks disagree',
      lines: `
        10 req stripe error card_declined 402 #1
        5  req adyen  ok                      #2`,
      want: { attempts: ['stripe failed decline', 'adyen succeeded -'], charges: 1, retried: true, recovered: true },
    },
  ])('$name', ({ lines, want }) => {
    expect(summary(lines)).toEqual(want);
  });
});

describe('failoverMatrix', () => {
  it('counts each retry by gateway, class and target, and which of them succeeded', () => {
    const orders = [
      `0 req stripe timeout
       5 req adyen  ok`,
      `0 req stripe timeout
       5 req adyen  error refused 402
       9 req paypal ok`,
      `0 req stripe timeout
       5 req adyen  accepted`,
      `0 req stripe accepted
       5 req stripe ok`,
    ].map((l) => analyzeOrderAttempts(order(l), table));
    expect(failoverMatrix(orders)).toEqual([
      { fromGateway: 'stripe', errorClass: 'timeout', toGateway: 'adyen', attempts: 3, recovered: 1 },
      { fromGateway: 'adyen', errorClass: 'decline', toGateway: 'paypal', attempts: 1, recovered: 1 },
      { fromGateway: 'stripe', errorClass: null, toGateway: 'stripe', attempts: 1, recovered: 1 },
    ]);
  });
});
