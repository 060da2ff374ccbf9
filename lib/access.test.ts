import { describe, expect, it } from 'vitest';
import { isAuthorized, presentedToken } from './access';

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('access tokens', () => {
  it('lets everything through when no token is configured', () => {
    expect(isAuthorized(undefined, {})).toBe(true);
    expect(isAuthorized('', { authorization: 'Bearer x' })).toBe(true);
  });
  it('accepts the bearer token or Basic auth with the token as password', () => {
    expect(isAuthorized('s3cret', { authorization: 'Bearer s3cret' })).toBe(true);
    expect(isAuthorized('s3cret', { authorization: 'bearer  s3cret ' })).toBe(true);
    expect(isAuthorized('s3cret', { authorization: basic('anyone', 's3cret') })).toBe(true);
    expect(isAuthorized('pa:ss', { authorization: basic('u', 'pa:ss') })).toBe(true);
  });
  it('refuses a missing, wrong or malformed credential', () => {
    expect(isAuthorized('s3cret', {})).toBe(false);
    expect(isAuthorized('s3cret', { authorization: 'Bearer s3cre' })).toBe(false);
    expect(isAuthorized('s3cret', { authorization: 's3cret' })).toBe(false);
    expect(isAuthorized('s3cret', { authorization: basic('s3cret', '') })).toBe(false);
    expect(isAuthorized('s3cret', { authorization: 'Basic !!!' })).toBe(false);
    expect(presentedToken('Digest abc')).toBeUndefined();
  });
});
