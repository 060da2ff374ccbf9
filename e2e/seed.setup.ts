import fs from 'node:fs';
import { expect, test as setup } from '@playwright/test';
import { BIG_TRACE_SPANS, fixtureFile, HOSTILE_AT, HOSTILE_PAYMENTS, PAYMENTS, sendFixture, spanCount, type FixtureInfo } from './fixture';
import { E2E_OTLP_PORT } from './playwright.config';

// T0 40 minutes ago (whole minute): the default "last hour" view shows the data set too.
setup('send the payment data set through the OpenTelemetry SDK', async ({ request }) => {
  const t0 = Math.floor((Date.now() - 40 * 60_000) / 60_000) * 60_000;
  await sendFixture(`http://127.0.0.1:${E2E_OTLP_PORT}/v1/traces`, t0);
  const iso = (ms: number) => new Date(ms).toISOString();
  // The hostile payments' range: from a minute before the first to seven minutes after it (past the
  // 5-minute callback SLA, before now).
  const info: FixtureInfo = {
    t0, from: iso(t0), to: iso(t0 + 30 * 60_000), hostileFrom: iso(t0 + (HOSTILE_AT - 60) * 1000), hostileTo: iso(t0 + (HOSTILE_AT + 7 * 60) * 1000),
  };
  fs.writeFileSync(fixtureFile(), JSON.stringify(info));

  // An OTLP 200 means stored or spooled (docs/design.md): wait until every span is queryable.
  const range = `from=${info.from}&to=${info.to}`;
  const expected = PAYMENTS.reduce((n, p) => n + spanCount(p), 0) + BIG_TRACE_SPANS;
  const spansIn = async (q: string) => {
    const { traces } = await (await request.get(`/api/traces?${q}&limit=1000`)).json();
    return (traces as { spanCount: number }[]).reduce((n, t) => n + t.spanCount, 0);
  };
  await expect.poll(() => spansIn(range), { timeout: 30_000 }).toBe(expected);
  await expect.poll(() => spansIn(`from=${info.hostileFrom}&to=${info.hostileTo}`), { timeout: 30_000 })
    .toBe(HOSTILE_PAYMENTS.reduce((n, p) => n + spanCount(p), 0));
  // Each trace comes back whole by id (a part-pruning bug once dropped spans of a trace's last second).
  const { traces } = await (await request.get(`/api/traces?${range}&limit=1000`)).json();
  for (const t of traces as { traceId: string; spanCount: number }[]) {
    const byId = await (await request.get(`/api/traces/${t.traceId}`)).json();
    expect(byId.spans?.length, t.traceId).toBe(t.spanCount);
  }
  const funnel = await (await request.get(`/api/funnel?${range}`)).json();
  expect(funnel.steps[0].reached).toBe(PAYMENTS.length);
});
