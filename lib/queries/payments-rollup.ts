import crypto from 'node:crypto';
import { TIMEOUT_ERROR_TYPES, type GatewayHostArrays } from '../analytics/gateways';
import { sql, type SqlFragment } from '../store/sql';
import type { Store } from '../store/store';
import { defaultGatewayHosts, gatewayOfSql, isTimeoutSql, queryConstants, type TimeRange } from './common';
import { HOUR_MS, partialRowsWhere, partialTable, planPartials, registerPartialKindSource, unionAll, type PartialKind, type PartialPlan } from './partials';

/**
 * Per-payment facts by hour (issue 13): what money at stake (lib/queries/impact.ts) judges a
 * payment on, aggregated per order over one stretch of stage spans, and merged per order across
 * stretches. Every fact merges exactly (first, latest, count, the value at the latest time), so the
 * facts of a range are the same whether its spans are read at once or hour by hour:
 *
 *   range      |  live  |  hour  |  hour  | ... |  hour  | live |
 *   per order     facts    facts    facts         facts    facts     → merged facts → outcome
 *
 * Whole hours come from `payment_hour_partials` (computed by the `partials` job, lib/queries/partials.ts)
 * while no insert came into them since; the rest (the partial hours at the range's ends, the current
 * hour, stale hours) from payment_stage_events by the same SQL. A payment's facts of an hour depend on
 * that hour's spans only (before = after = 0). The grouping of a day's stage spans (about seven per
 * payment) becomes a merge of about one row per payment.
 */

/** The facts of each order over `range`, from its stage spans. Needs `queryConstants(hosts)` in the WITH. */
export function paymentFactsSql(range: TimeRange): SqlFragment {
  return sql`
    SELECT PaymentOrderId,
           anyIf(PaymentChannel, PaymentChannel != '') AS Channel,
           anyIf(PaymentAmount, PaymentAmount != '') AS Amount,
           anyIf(PaymentCurrency, PaymentCurrency != '') AS Currency,
           argMaxIf(gw, ns, isRequest AND gw != '') AS Gateway,
           maxIf(ns, isRequest AND gw != '') AS GatewayNs,
           anyIf(gw, isRequest AND gw != '') AS StuckGateway,
           maxIf(ns + toInt64(Duration), isRequest AND accepted) AS AcceptedEndNs,
           countIf(isRequest AND accepted) AS AcceptedRequests,
           countIf(isCallback) AS Callbacks,
           minIf(ns, succeeded) AS SucceededNs,
           maxIf(ns, failed) AS FailedNs,
           countIf(hardFailure) AS HardFailures,
           maxIf(ns, isRequest) AS LastRequestNs,
           argMaxIf(hardFailure, ns, isRequest) AS LastRequestRejected,
           -- The class inputs of the latest failed gateway call, else of the latest failed span.
           argMaxIf((isGatewayStage, ns, gw, PaymentErrorCode, if(isGatewayStage, ErrorType, ''), if(isGatewayStage, HttpStatus, 0), TimeoutFlag),
                    (isGatewayStage, ns), hardFailure) AS failure,
           failure.1 AS FailureGatewayStage, failure.2 AS FailureNs, failure.3 AS FailureGateway, failure.4 AS FailureCode,
           failure.5 AS FailureErrorType, failure.6 AS FailureHttpStatus, failure.7 AS FailureTimeoutFlag
    FROM (
      SELECT PaymentOrderId, PaymentChannel, PaymentAmount, PaymentCurrency, PaymentErrorCode, Duration, ErrorType, HttpStatus, TimeoutFlag,
             toInt64(toUnixTimestamp64Nano(Timestamp)) AS ns,
             PaymentStage = 'gateway.request' AS isRequest, PaymentStage = 'gateway.callback' AS isCallback,
             isRequest OR isCallback AS isGatewayStage,
             -- Only gateway stages need a gateway (the host lookup runs per row).
             if(isGatewayStage, ${gatewayOfSql()}, '') AS gw,
             -- Only requests need it (accepted and hardFailure read it on requests alone).
             isRequest AND ${isTimeoutSql()} AS timedOut, NOT IsError OR timedOut AS accepted,
             isGatewayStage AND PaymentOutcome = 'succeeded' AS succeeded,
             IsError OR PaymentOutcome IN ('failed', 'cancelled') AS failed,
             failed AND NOT (isRequest AND timedOut) AS hardFailure
      FROM payment_stage_events
      WHERE Timestamp >= ${range.from} AND Timestamp < ${range.to} AND PaymentOrderId != ''
    )
    GROUP BY PaymentOrderId`;
}

const FACT_COLUMNS = sql`PaymentOrderId, Channel, Amount, Currency, Gateway, GatewayNs, StuckGateway, AcceptedEndNs, AcceptedRequests,
  Callbacks, SucceededNs, FailedNs, HardFailures, LastRequestNs, LastRequestRejected, FailureGatewayStage, FailureNs, FailureGateway,
  FailureCode, FailureErrorType, FailureHttpStatus, FailureTimeoutFlag`;

/**
 * The facts merged per order: `channel`, `rawAmount`, `currency`, `gateway` (of the latest request
 * with one), `stuckGateway`, `requestEndNs`, `acceptedRequests`, `callbacks` (stuckRuleOverFacts'
 * inputs), `succeededNs` and `failedNs` (0: none), `hardFailures`, `lastAttemptRejected`, and
 * `lastFailure` (gateway, code, error type, HTTP status, timeout flag). Aggregates of a GROUP BY
 * PaymentOrderId over rows of FACT_COLUMNS.
 */
const MERGED_FACTS = sql`
  toString(anyIf(Channel, Channel != '')) AS channel,
  anyIf(Amount, Amount != '') AS rawAmount,
  toString(anyIf(Currency, Currency != '')) AS currency,
  toString(argMaxIf(Gateway, GatewayNs, Gateway != '')) AS gateway,
  toString(anyIf(StuckGateway, StuckGateway != '')) AS stuckGateway,
  max(AcceptedEndNs) AS requestEndNs,
  sum(AcceptedRequests) AS acceptedRequests,
  sum(Callbacks) AS callbacks,
  minIf(SucceededNs, SucceededNs != 0) AS succeededNs,
  max(FailedNs) AS failedNs,
  sum(HardFailures) AS hardFailures,
  argMaxIf(LastRequestRejected, LastRequestNs, LastRequestNs != 0) AS lastAttemptRejected,
  argMaxIf((toString(FailureGateway), toString(FailureCode), toString(FailureErrorType), FailureHttpStatus, toString(FailureTimeoutFlag)),
           (FailureGatewayStage, FailureNs), FailureNs != 0) AS lastFailure`;

/** The partial kind for a gateway host table: what the facts' gateways and timeouts were computed with. */
export function paymentFactsKind(hosts: GatewayHostArrays): PartialKind {
  const hash = crypto.createHash('sha256').update(JSON.stringify([hosts, TIMEOUT_ERROR_TYPES])).digest('hex').slice(0, 24);
  return {
    name: `payments:${hash}`,
    before: 0,
    after: 0,
    table: 'payment_hour_partials',
    async compute(store, hour, tag) {
      await store.command(sql`
        INSERT INTO payment_hour_partials (Kind, Hour, Covers, ${FACT_COLUMNS})
        WITH ${queryConstants(hosts)}
        SELECT ${tag}, ${FACT_COLUMNS}
        FROM (${paymentFactsSql({ from: hour, to: new Date(hour.getTime() + HOUR_MS) })})`);
    },
  };
}

// The job keeps the facts of this process's host table up to date.
registerPartialKindSource(async () => [paymentFactsKind(defaultGatewayHosts())]);

/**
 * A subquery of one row per order with a stage span in `range`, with the merged facts (MERGED_FACTS)
 * and whatever `columns` add over them; `having` filters the orders. Needs `queryConstants(hosts)`
 * in the WITH. `now` decides the current hour (never from partials); 0 reads every hour from the spans.
 */
export async function mergedPaymentFactsSql(
  store: Store, range: TimeRange, hosts: GatewayHostArrays, columns: SqlFragment, having: SqlFragment, now = Date.now(),
): Promise<SqlFragment> {
  const kind = paymentFactsKind(hosts);
  const plan: PartialPlan = await planPartials(store, kind, range, now);
  const parts: SqlFragment[] = plan.live.map((r) => sql`SELECT ${FACT_COLUMNS} FROM (${paymentFactsSql(r)})`);
  if (plan.hours.length) parts.push(sql`SELECT ${FACT_COLUMNS} FROM ${partialTable(kind)} WHERE ${partialRowsWhere(kind, plan)}`);
  if (parts.length === 0) parts.push(sql`SELECT ${FACT_COLUMNS} FROM (${paymentFactsSql(range)})`);
  return sql`
    SELECT PaymentOrderId, ${MERGED_FACTS}, ${columns}
    FROM (${unionAll(parts)})
    GROUP BY PaymentOrderId
    ${having}`;
}
