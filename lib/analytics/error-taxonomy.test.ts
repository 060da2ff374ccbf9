import { describe, expect, it } from 'vitest';
import {
  builtinErrorCodes,
  classifyGatewayError,
  classOfHttpStatus,
  ErrorCodeTable,
  parseErrorClasses,
  type GatewayCallFacts,
} from './error-taxonomy';

const table = new ErrorCodeTable();

/** A failed call (error status) with nothing else said unless given. */
function call(f: Partial<GatewayCallFacts>): GatewayCallFacts {
  return { gateway: '', errorCode: '', isError: true, errorType: '', timeoutFlag: '', httpStatus: 0, ...f };
}

describe('classifyGatewayError: provider codes', () => {
  it.each([
    // gateway, payment.error_code, class
    ['stripe', 'insufficient_funds', 'decline'],
    ['stripe', 'do_not_honor', 'decline'],
    ['stripe', 'expired_card', 'decline'],
    ['stripe', 'fraudulent', 'fraud'],
    ['stripe', 'parameter_missing', 'invalid_request'],
    ['stripe', 'rate_limit', 'provider_error'],
    ['stripe', 'api_error', 'provider_error'],
    ['adyen', 'Not enough balance', 'decline'],
    ['adyen', 'FRAUD', 'fraud'],
    ['adyen', 'Acquirer Error', 'provider_error'],
    ['paypal', 'INSTRUMENT_DECLINED', 'decline'],
    ['paypal', 'INTERNAL_SERVER_ERROR', 'provider_error'],
    ['paypal', 'INVALID_PARAMETER_VALUE', 'invalid_request'],
    ['braintree', '2001', 'decline'],
    ['braintree', 'risk_threshold', 'fraud'],
    ['braintree', '3000', 'provider_error'],
    ['checkout.com', '20051', 'decline'],
    ['checkout.com', '40101', 'fraud'],
    ['alipay', 'ACQ.SYSTEM_ERROR', 'provider_error'],
    ['alipay', 'ACQ.BUYER_BALANCE_NOT_ENOUGH', 'decline'],
    ['alipay', 'ACQ.INVALID_PARAMETER', 'invalid_request'],
    ['alipay', 'ACQ.PAYMENT_REQUEST_HAS_RISK', 'fraud'],
    ['wechatpay', 'SYSTEMERROR', 'provider_error'],
    ['wechatpay', 'NOTENOUGH', 'decline'],
    ['wechatpay', 'PARAM_ERROR', 'invalid_request'],
    ['wechatpay', 'SIGNERROR', 'invalid_request'],
    ['unionpay', '03', 'timeout'],
    ['unionpay', '06', 'provider_error'],
    ['unionpay', '61', 'decline'],
    // Codes with letters are known under any gateway name, so another SDK's naming still works.
    ['wechat', 'NOTENOUGH', 'decline'],
    ['', 'ACQ.SYSTEM_ERROR', 'provider_error'],
    // Numeric codes are not: 2001 is a Braintree decline, nothing for another gateway.
    ['stripe', '2001', 'unknown'],
    ['acme', 'E_SOMETHING', 'unknown'],
  ])('%s %j → %s', (gateway, errorCode, want) => {
    expect(classifyGatewayError(call({ gateway, errorCode }), table)).toBe(want);
  });
});

describe('classifyGatewayError: fallbacks when no code says more', () => {
  it.each<[string, Partial<GatewayCallFacts>, string | null]>([
    ['not failed: no class', { isError: false, errorCode: 'insufficient_funds', httpStatus: 402 }, null],
    ['payscope timeout flag', { timeoutFlag: 'true', errorCode: 'insufficient_funds' }, 'timeout'],
    ['timeout error.type from another SDK, status unset', { isError: false, errorType: 'ETIMEDOUT' }, 'timeout'],
    ['connection refused', { errorType: 'ECONNREFUSED' }, 'network'],
    ['DNS failure (Java)', { errorType: 'java.net.UnknownHostException' }, 'network'],
    ['TLS certificate', { errorType: 'CERT_HAS_EXPIRED' }, 'network'],
    ['HTTP 503', { httpStatus: 503 }, 'provider_error'],
    ['HTTP 429 (rate limited)', { httpStatus: 429 }, 'provider_error'],
    ['HTTP 402', { httpStatus: 402 }, 'decline'],
    ['HTTP 401 (our credentials)', { httpStatus: 401 }, 'invalid_request'],
    ['HTTP 408', { httpStatus: 408 }, 'timeout'],
    ['status code as error.type (semantic conventions)', { errorType: '500' }, 'provider_error'],
    ['unknown code, 5xx', { gateway: 'stripe', errorCode: 'brand_new_code', httpStatus: 502 }, 'provider_error'],
    ['known code beats the status', { gateway: 'stripe', errorCode: 'card_declined', httpStatus: 500 }, 'decline'],
    ['error status, nothing else', {}, 'unknown'],
    ['an exception class that says nothing', { errorType: 'Error' }, 'unknown'],
  ])('%s', (_, facts, want) => {
    expect(classifyGatewayError(call(facts), table)).toBe(want);
  });

  it.each([
    [200, null], [302, null], [400, 'invalid_request'], [404, 'invalid_request'], [499, 'invalid_request'], [500, 'provider_error'], [599, 'provider_error'], [600, null],
  ])('HTTP %i → %s', (status, want) => expect(classOfHttpStatus(status)).toBe(want));
});

describe('configured codes', () => {
  it('add new codes and override built-in ones, per gateway or for any', () => {
    const t = new ErrorCodeTable(parseErrorClasses('{"stripe": {"card_velocity_exceeded": "fraud"}, "*": {"E_PSP_DOWN": "provider_error"}, "ACME": {"x1": "decline"}}'));
    expect(classifyGatewayError(call({ gateway: 'stripe', errorCode: 'card_velocity_exceeded' }), t)).toBe('fraud');
    expect(classifyGatewayError(call({ gateway: 'stripe', errorCode: 'card_velocity_exceeded' }), table)).toBe('decline');
    expect(classifyGatewayError(call({ gateway: 'anything', errorCode: 'e_psp_down' }), t)).toBe('provider_error');
    expect(classifyGatewayError(call({ gateway: 'acme', errorCode: 'X1' }), t)).toBe('decline');
    // A gateway's own entry wins over a `*` one.
    const t2 = new ErrorCodeTable(parseErrorClasses('{"*": {"insufficient_funds": "unknown"}}'));
    expect(classifyGatewayError(call({ gateway: 'stripe', errorCode: 'insufficient_funds' }), t2)).toBe('decline');
    expect(classifyGatewayError(call({ gateway: 'acme', errorCode: 'insufficient_funds' }), t2)).toBe('unknown');
  });

  it.each([
    ['not json', /PAYSCOPE_ERROR_CLASSES: not JSON/],
    ['["decline"]', /PAYSCOPE_ERROR_CLASSES: expected/],
    ['{"stripe": {"x": "outage"}}', /at "stripe\.x"/],
    ['{"stripe": "decline"}', /at "stripe"/],
    ['{"stripe": {"": "decline"}}', /at "stripe\.": Invalid key/],
  ])('refuses %j with a clear message', (json, message) => {
    expect(() => parseErrorClasses(json)).toThrow(message);
  });
});

describe('built-in table', () => {
  it('covers every provider the issue names, with every class but unknown somewhere', () => {
    const entries = builtinErrorCodes();
    for (const g of ['stripe', 'adyen', 'paypal', 'braintree', 'checkout.com', 'alipay', 'wechatpay', 'unionpay']) {
      expect(entries.filter((e) => e.gateway === g).length, g).toBeGreaterThan(5);
    }
    expect(new Set(entries.map((e) => e.class))).toEqual(new Set(['decline', 'fraud', 'invalid_request', 'provider_error', 'timeout']));
  });

  it('leaves a code out of `*` when two providers class it differently', () => {
    const t = new ErrorCodeTable([], builtinErrorCodes({ a: { x: 'decline', y: 'fraud' }, b: { X: 'fraud', y: 'fraud' } }));
    expect(t.lookup('a', 'x')).toBe('decline');
    expect(t.lookup('b', 'x')).toBe('fraud');
    expect(t.lookup('c', 'x')).toBeUndefined();
    expect(t.lookup('c', 'Y')).toBe('fraud');
  });
});
