import { PageHeader } from '@/components/PageHeader';
import { ParamProblems } from '@/components/ParamProblems';
import { SeverityBadge } from '@/components/AlertMarker';
import { deleteAlertRuleAction, createSilenceAction, endSilenceAction, saveAlertRuleAction, setAlertRuleEnabledAction } from '@/lib/actions/alerts';
import { SEVERITIES } from '@/lib/alerts/evaluate';
import { KIND_UNITS, RULE_KINDS, type AlertRule } from '@/lib/alerts/rules';
import { alertRules, alerts as listAlertsOp, AlertsQuery, silences as listSilencesOp } from '@/lib/api/alerts';
import { parsePageParams } from '@/lib/api/params';
import { param } from '@/lib/ui/links';
import { getStore } from '@/lib/store/store';
import { formatSec, formatTime } from '@/lib/ui/format';
import { describeRange, type SearchParams } from '@/lib/ui/time-range';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Alerts' };

type AlertJson = Awaited<ReturnType<typeof listAlertsOp>>['alerts'][number];

function Labels({ labels }: { labels: Record<string, string> }) {
  return <>{Object.entries(labels).filter(([k]) => k !== 'alertname').map(([k, v]) => <span key={k} className="chip" data-label={k}>{k}={v}</span>)}</>;
}

function Evidence({ a }: { a: AlertJson }) {
  return (
    <>
      {a.annotations.dashboard_url && <a href={a.annotations.dashboard_url}>page</a>}
      {a.annotations.traces_url && <> · <a href={a.annotations.traces_url}>traces</a></>}
    </>
  );
}

function AlertTable({ rows, testId, focus }: { rows: AlertJson[]; testId: string; focus?: string }) {
  return (
    <div className="table-wrap">
      <table data-testid={testId}>
        <thead>
          <tr><th>severity</th><th>alert</th><th>labels</th><th>summary</th><th>state</th><th>since (UTC)</th><th>until (UTC)</th><th className="num">value</th><th className="num">threshold</th><th>evidence</th></tr>
        </thead>
        <tbody>
          {rows.map((a) => (
            <tr key={a.id} id={`alert-${a.id}`} data-alert={a.id} data-rule={a.rule} aria-current={a.id === focus ? 'true' : undefined}>
              <td><SeverityBadge severity={a.severity} /></td>
              <td>{a.name}</td>
              <td><Labels labels={a.labels} /></td>
              <td title={a.description}>{a.summary}</td>
              <td>{a.state}</td>
              <td>{formatTime(a.startsAt ?? a.activeAt ?? '')}</td>
              <td>{a.endsAt ? formatTime(a.endsAt) : '—'}</td>
              <td className="num">{Number(a.value.toFixed(2))}</td>
              <td className="num">{a.threshold}</td>
              <td><Evidence a={a} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RuleForm({ rule }: { rule?: AlertRule }) {
  const v = (k: keyof AlertRule) => (rule?.[k] === undefined ? '' : String(rule[k]));
  return (
    <form action={saveAlertRuleAction} className="filters" aria-label={rule ? `Change rule ${rule.name}` : 'Add a rule'} data-testid={rule ? 'rule-edit' : 'rule-add'}>
      {rule && <input type="hidden" name="id" value={rule.id} />}
      <div className="field"><label htmlFor="r-name">Name (alertname)</label><input id="r-name" name="name" type="text" required defaultValue={v('name')} placeholder="CardGatewayStuck" /></div>
      <div className="field">
        <label htmlFor="r-kind">Measures</label>
        <select id="r-kind" name="kind" defaultValue={v('kind') || 'gateway_health'}>
          {RULE_KINDS.map((k) => <option key={k} value={k}>{k} ({KIND_UNITS[k]})</option>)}
        </select>
      </div>
      <div className="field">
        <label htmlFor="r-severity">Severity</label>
        <select id="r-severity" name="severity" defaultValue={v('severity') || 'warning'}>{SEVERITIES.map((s) => <option key={s}>{s}</option>)}</select>
      </div>
      <div className="field"><label htmlFor="r-threshold">Fire at ≥</label><input id="r-threshold" name="threshold" type="number" step="any" required defaultValue={v('threshold')} /></div>
      <div className="field"><label htmlFor="r-resolve">Resolve below</label><input id="r-resolve" name="resolveThreshold" type="number" step="any" defaultValue={v('resolveThreshold')} /></div>
      <div className="field"><label htmlFor="r-critical">Critical at ≥</label><input id="r-critical" name="criticalThreshold" type="number" step="any" defaultValue={v('criticalThreshold')} /></div>
      <div className="field"><label htmlFor="r-window">Window (s)</label><input id="r-window" name="windowSec" type="number" required defaultValue={v('windowSec') || '900'} /></div>
      <div className="field"><label htmlFor="r-for">For (s)</label><input id="r-for" name="forSec" type="number" required defaultValue={v('forSec') || '300'} /></div>
      <div className="field"><label htmlFor="r-min">Min. events</label><input id="r-min" name="minCount" type="number" defaultValue={v('minCount') || '20'} /></div>
      <div className="field"><label htmlFor="r-gateway">Gateway (optional)</label><input id="r-gateway" name="gateway" type="text" defaultValue={v('gateway')} /></div>
      <div className="field"><label htmlFor="r-channel">Channel (optional)</label><input id="r-channel" name="channel" type="text" defaultValue={v('channel')} /></div>
      <div className="field"><label htmlFor="r-enabled">Enabled</label><input id="r-enabled" name="enabled" type="checkbox" defaultChecked={rule ? rule.enabled : true} /></div>
      <div className="actions"><button type="submit">{rule ? 'Save rule' : 'Add rule'}</button>{rule && <a href="/alerts#rules">Cancel</a>}</div>
    </form>
  );
}

/** Alerts: what fires now, what fired in the range, the rules, the silences. */
export default async function AlertsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const sp = await searchParams;
  const parsed = parsePageParams(AlertsQuery, sp);
  const store = await getStore();
  const now = new Date();
  const [current, history, { rules }, { silences }] = await Promise.all([
    listAlertsOp(store, { query: { from: now, to: now, limit: 1000 } }),
    listAlertsOp(store, { query: { ...parsed.query, state: 'resolved' } }),
    alertRules(store),
    listSilencesOp(store),
  ]);
  const firing = current.alerts.filter((a) => a.state === 'firing');
  const pending = current.alerts.filter((a) => a.state === 'pending');
  const error = param(sp, 'error');
  const editing = rules.find((r) => r.id === param(sp, 'edit'));
  const focus = param(sp, 'alert');

  return (
    <section>
      <PageHeader title="Alerts" sub={<>{firing.length} firing · {pending.length} pending · history {describeRange(parsed.query)}</>} />
      <ParamProblems problems={parsed.problems} />
      {error && <p className="error" role="alert">{error}</p>}

      <h2 id="firing">Firing now</h2>
      {firing.length === 0 ? <p className="empty">Nothing is firing.</p> : <AlertTable rows={firing} testId="alerts-firing" focus={focus} />}
      {pending.length > 0 && (
        <>
          <h3>Pending (waiting out their <code>for</code>)</h3>
          <AlertTable rows={pending} testId="alerts-pending" focus={focus} />
        </>
      )}

      <h2 id="history">Resolved in this range</h2>
      {history.alerts.length === 0 ? <p className="empty">No alert resolved in this range.</p> : <AlertTable rows={history.alerts} testId="alerts-history" focus={focus} />}

      <h2 id="rules">Rules</h2>
      <p className="section-note">Evaluated together every interval; an alert fires when its value stays at or above the threshold for <code>for</code>, and resolves once below the resolve threshold. Default rules can be changed or disabled; deleting one restores its defaults.</p>
      <div className="table-wrap">
        <table data-testid="alert-rules">
          <thead>
            <tr><th>rule</th><th>measures</th><th>severity</th><th className="num">fire at ≥</th><th className="num">resolve below</th><th className="num">critical at ≥</th><th className="num">window</th><th className="num">for</th><th>scope</th><th>state</th><th></th></tr>
          </thead>
          <tbody>
            {rules.map((r) => (
              <tr key={r.id} data-rule={r.id}>
                <td>{r.name}{r.builtIn && <span className="muted small"> (default)</span>}</td>
                <td>{r.kind} <span className="muted small">{KIND_UNITS[r.kind]}</span></td>
                <td><SeverityBadge severity={r.severity} /></td>
                <td className="num">{r.threshold}</td>
                <td className="num">{r.resolveThreshold}</td>
                <td className="num">{r.criticalThreshold ?? '—'}</td>
                <td className="num">{formatSec(r.windowSec)}</td>
                <td className="num">{formatSec(r.forSec)}</td>
                <td>{[r.gateway && `gateway=${r.gateway}`, r.channel && `channel=${r.channel}`].filter(Boolean).join(', ') || 'all'}</td>
                <td>{r.enabled ? 'enabled' : <span className="muted">disabled</span>}</td>
                <td>
                  <form action={setAlertRuleEnabledAction} style={{ display: 'inline' }}>
                    <input type="hidden" name="id" value={r.id} />
                    <input type="hidden" name="enabled" value={String(!r.enabled)} />
                    <button type="submit">{r.enabled ? 'Disable' : 'Enable'}</button>
                  </form>{' '}
                  <a href={`/alerts?edit=${encodeURIComponent(r.id)}#rules`}>Change</a>{' '}
                  <form action={deleteAlertRuleAction} style={{ display: 'inline' }}>
                    <input type="hidden" name="id" value={r.id} />
                    <button type="submit" disabled={r.builtIn && !r.updatedAt}>{r.builtIn ? 'Restore default' : 'Delete'}</button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>{editing ? `Change ${editing.name}` : 'Add a rule'}</h3>
      <RuleForm key={editing?.id ?? 'new'} rule={editing} />

      <h2 id="silences">Silences</h2>
      <p className="section-note">A silence keeps matching alerts from notifying until it ends; they are still evaluated and shown here.</p>
      {silences.length === 0 ? <p className="empty">No active silence.</p> : (
        <div className="table-wrap">
          <table data-testid="silences">
            <thead><tr><th>matchers</th><th>until (UTC)</th><th>comment</th><th></th></tr></thead>
            <tbody>
              {silences.map((s) => (
                <tr key={s.id} data-silence={s.id}>
                  <td>{s.matchers.map((m) => <span key={`${m.label}${m.op}${m.value}`} className="chip">{m.label}{m.op}{m.value}</span>)}</td>
                  <td>{formatTime(s.endsAt)}</td>
                  <td>{s.comment}</td>
                  <td><form action={endSilenceAction}><input type="hidden" name="id" value={s.id} /><button type="submit">End now</button></form></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form action={createSilenceAction} className="filters" aria-label="Add a silence" data-testid="silence-add">
        <div className="field"><label htmlFor="s-matchers">Matchers</label><input id="s-matchers" name="matchers" type="text" required placeholder="gateway=stripe, severity!=critical" style={{ width: '20rem' }} /></div>
        <div className="field"><label htmlFor="s-hours">For (hours)</label><input id="s-hours" name="hours" type="number" step="any" required defaultValue="2" /></div>
        <div className="field"><label htmlFor="s-comment">Comment</label><input id="s-comment" name="comment" type="text" placeholder="planned maintenance" /></div>
        <div className="actions"><button type="submit">Silence</button></div>
      </form>
    </section>
  );
}
