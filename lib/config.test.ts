import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseGatewayHosts } from './config';

describe('configuration', () => {
  it('reads the callback SLA and gateway hosts once, as data', () => {
    const c = loadConfig({ PAYSCOPE_CALLBACK_SLA_SEC: '120', PAYSCOPE_CALLBACK_SLA: ' paypal=900, alipay=60.5 ', PAYSCOPE_GATEWAY_HOSTS: 'pay.example.com=acme, *.psp.example.org=psp' });
    expect(c.callbackSla).toEqual({ defaultSec: 120, byGateway: { paypal: 900, alipay: 60.5 } });
    expect(c.gatewayHosts).toEqual([['pay.example.com', 'acme'], ['*.psp.example.org', 'psp']]);
    expect(loadConfig({}).callbackSla).toEqual({ defaultSec: 300, byGateway: {} });
    expect(loadConfig({}).gatewayHosts).toEqual([]);
    expect(loadConfig({ PAYSCOPE_INGEST_DEBUG: '1' }).ingestDebug).toBe(true);
    expect(loadConfig({}).ingestDebug).toBe(false);
  });

  // These used to be dropped without a word (the SLA silently fell back to 300 s, the host ignored).
  it.each([
    [{ PAYSCOPE_CALLBACK_SLA: 'paypal=900,alipay' }, /PAYSCOPE_CALLBACK_SLA: expected gateway=seconds, got "alipay"/],
    [{ PAYSCOPE_CALLBACK_SLA: 'paypal=15min' }, /PAYSCOPE_CALLBACK_SLA: expected gateway=seconds, got "paypal=15min"/],
    [{ PAYSCOPE_CALLBACK_SLA: 'paypal=0' }, /PAYSCOPE_CALLBACK_SLA/],
    [{ PAYSCOPE_CALLBACK_SLA_SEC: 'five minutes' }, /PAYSCOPE_CALLBACK_SLA_SEC must be a number of seconds > 0, got "five minutes"/],
    [{ PAYSCOPE_CALLBACK_SLA_SEC: '-1' }, /PAYSCOPE_CALLBACK_SLA_SEC/],
    [{ PAYSCOPE_GATEWAY_HOSTS: 'pay.example.com' }, /PAYSCOPE_GATEWAY_HOSTS: expected host=gateway or \*\.suffix=gateway, got "pay.example.com"/],
    [{ PAYSCOPE_GATEWAY_HOSTS: 'a.example=acme,=b' }, /PAYSCOPE_GATEWAY_HOSTS: .* got "=b"/],
  ])('refuses %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('parses host entries strictly', () => {
    expect(parseGatewayHosts('')).toEqual([]);
    expect(() => parseGatewayHosts('pay example.com=acme')).toThrow(/PAYSCOPE_GATEWAY_HOSTS/);
  });

  it('npm start stops before building or listening, printing the message', () => {
    const root = path.resolve(__dirname, '..');
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/start.ts'), '--no-dashboard'], {
      cwd: root,
      env: { ...process.env, PAYSCOPE_CALLBACK_SLA: 'paypal=soon', PAYSCOPE_DATA_DIR: '/nonexistent/never-created' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('payscope: configuration error: PAYSCOPE_CALLBACK_SLA: expected gateway=seconds, got "paypal=soon"');
    expect(r.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });
});
