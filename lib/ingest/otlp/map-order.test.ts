/**
 * Map columns (ResourceAttributes, SpanAttributes, Events.Attributes, Links.Attributes) hold their entries
 * in key byte order, as the Collector's clickhouseexporter writes them: internal.AttributesToMap collects
 * each pcommon.Map into a clickhouse-go orderedmap with CollectN, which sorts by cmp.Compare (bytes).
 * Both decoders must write the same order.
 */
import { describe, expect, it } from 'vitest';
import { decodeTraceRequestJson, decodeTraceRequestProtobuf } from './index';
import { av, eventMsg, hex, kv, linkMsg, requestMsg, resourceSpansMsg, scopeSpansMsg, spanMsg } from './testing/pb';
import { readRows, type Pairs } from './testing/rowbinary-reader';

const TID = '0af7651916cd43dd8448eb211c80319c';
const SID = 'b7ad6b7169203331';

/** Key byte order (UTF-8), stable: duplicates keep request order. */
function byKeyBytes(pairs: Pairs): Pairs {
  return [...pairs].sort((x, y) => Buffer.compare(Buffer.from(x[0]), Buffer.from(y[0])));
}

function both(res: Pairs, span: Pairs, ev: Pairs, link: Pairs) {
  const pbKvs = (p: Pairs) => p.map(([k, v]) => kv(k, av.str(v)));
  const pb = requestMsg([
    resourceSpansMsg(pbKvs(res), [
      scopeSpansMsg({ name: 'sc', version: '1' }, [
        spanMsg({
          traceId: hex(TID),
          spanId: hex(SID),
          name: 'op',
          kind: 2,
          start: 1_700_000_000_000_000_000n,
          end: 1_700_000_000_000_000_100n,
          attributes: pbKvs(span),
          events: [eventMsg(1_700_000_000_000_000_050n, 'ev', pbKvs(ev))],
          links: [linkMsg(hex(TID), hex(SID), '', pbKvs(link))],
        }),
      ]),
    ]),
  ]);
  const jsKvs = (p: Pairs) => p.map(([key, v]) => ({ key, value: { stringValue: v } }));
  const json = JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: jsKvs(res) },
        scopeSpans: [
          {
            scope: { name: 'sc', version: '1' },
            spans: [
              {
                traceId: TID,
                spanId: SID,
                name: 'op',
                kind: 2,
                startTimeUnixNano: '1700000000000000000',
                endTimeUnixNano: '1700000000000000100',
                attributes: jsKvs(span),
                events: [{ timeUnixNano: '1700000000000000050', name: 'ev', attributes: jsKvs(ev) }],
                links: [{ traceId: TID, spanId: SID, attributes: jsKvs(link) }],
              },
            ],
          },
        ],
      },
    ],
  });
  return [readRows(decodeTraceRequestProtobuf(pb).rows)[0], readRows(decodeTraceRequestJson(json).rows)[0]];
}

describe('map columns are written in key byte order, as the Collector writes them', () => {
  it('resource, span, event and link attributes; both decoders', () => {
    const res: Pairs = [['service.name', 'pay'], ['host.name', 'h1'], ['deployment.environment', 'prod']];
    const span: Pairs = [['http.route', '/pay'], ['amount', '12.5'], ['Zeta', 'upper case sorts first'], ['currency', 'EUR']];
    const ev: Pairs = [['b', '2'], ['a', '1']];
    const link: Pairs = [['link.reason', 'callback'], ['link.n', '2']];
    for (const row of both(res, span, ev, link)) {
      expect(row.ServiceName).toBe('pay');
      expect(row.ResourceAttributes).toEqual(byKeyBytes(res));
      expect(row.SpanAttributes).toEqual([['Zeta', 'upper case sorts first'], ['amount', '12.5'], ['currency', 'EUR'], ['http.route', '/pay']]);
      expect(row.EventsAttributes).toEqual([[['a', '1'], ['b', '2']]]);
      expect(row.LinksAttributes).toEqual([[['link.n', '2'], ['link.reason', 'callback']]]);
    }
  });

  it('byte order, not UTF-16 order: U+FF61 (EF BD A1) sorts before U+1F600 (F0 9F 98 80)', () => {
    const span: Pairs = [['\u{1F600}', 'emoji'], ['\uFF61', 'halfwidth'], ['é', 'e-acute'], ['z', 'ascii']];
    for (const row of both([], span, [], [])) {
      expect(row.SpanAttributes.map((p) => p[0])).toEqual(['z', 'é', '\uFF61', '\u{1F600}']);
    }
  });

  it('duplicate keys are all kept, in request order among themselves (short and long maps)', () => {
    const short: Pairs = [['k', 'first'], ['a', '0'], ['k', 'second']];
    // past the insertion-sort size: 40 keys, each twice
    const long: Pairs = [];
    for (let round = 0; round < 2; round++) for (let i = 39; i >= 0; i--) long.push([`key.${i}`, `${round}`]);
    for (const row of both(short, long, [], [])) {
      expect(row.ResourceAttributes).toEqual([['a', '0'], ['k', 'first'], ['k', 'second']]);
      expect(row.SpanAttributes).toEqual(byKeyBytes(long));
      expect(row.SpanAttributes.slice(0, 2)).toEqual([['key.0', '0'], ['key.0', '1']]);
    }
  });

  it('keys and values longer than 127 bytes (two-byte lengths) move whole', () => {
    const span: Pairs = [['k'.repeat(300), 'v'.repeat(200)], ['a', 'x'.repeat(5000)], ['kk', ''], ['\u00e9'.repeat(100), 'é']];
    for (const row of both([], span, span, span)) {
      expect(row.SpanAttributes).toEqual(byKeyBytes(span));
      expect(row.EventsAttributes).toEqual([byKeyBytes(span)]);
      expect(row.LinksAttributes).toEqual([byKeyBytes(span)]);
    }
  });

  it('a map already in key order, an empty map and a one-entry map are written as given', () => {
    const sorted: Pairs = [['a', '1'], ['b', '2'], ['c', '3']];
    for (const row of both(sorted, [], [['only', 'x']], [])) {
      expect(row.ResourceAttributes).toEqual(sorted);
      expect(row.SpanAttributes).toEqual([]);
      expect(row.EventsAttributes).toEqual([[['only', 'x']]]);
      expect(row.LinksAttributes).toEqual([[]]);
    }
  });
});
