/**
 * Hand-built protobuf requests: field order, unknown fields, merged duplicates, non-canonical
 * encodings, per-span rejection, links, and malformed input.
 */
import { describe, expect, it } from 'vitest';
import { decodeTraceRequestJson, decodeTraceRequestProtobuf, OtlpDecodeError, RowBinaryWriter } from './index';
import {
  av,
  concat,
  eventMsg,
  fixed32,
  fixed64,
  hex,
  kv,
  len,
  linkMsg,
  oneSpanRequest,
  requestMsg,
  resourceSpansMsg,
  scopeSpansMsg,
  simpleSpan,
  spanMsg,
  tag,
  varint,
  vint,
  WT,
  type SpanSpec,
} from './testing/pb';
import { readRows, type SpanRow } from './testing/rowbinary-reader';

const TID = hex('0af7651916cd43dd8448eb211c80319c');
const SID = hex('b7ad6b7169203331');
const PID = hex('00f067aa0ba902b7');

const FULL: SpanSpec = {
  traceId: TID,
  spanId: SID,
  parentSpanId: PID,
  traceState: 'k=v',
  name: 'GET /orders',
  kind: 3,
  start: 1_700_000_000_123_456_789n,
  end: 1_700_000_001_123_456_790n,
  attributes: [kv('http.method', av.str('GET')), kv('n', av.int(3))],
  events: [eventMsg(1_700_000_000_500_000_000n, 'ev', [kv('e', av.bool(true))])],
  links: [linkMsg(hex('11111111111111111111111111111111'), hex('2222222222222222'), 'ts=1', [kv('l', av.double(0.5))])],
  status: { code: 2, message: 'bad' },
};

const RES_ATTRS = [kv('service.name', av.str('pay')), kv('host', av.str('h1'))];

function decodeRows(body: Uint8Array): SpanRow[] {
  const res = decodeTraceRequestProtobuf(body);
  const rows = readRows(res.rows);
  expect(rows).toHaveLength(res.accepted);
  return rows;
}

function expectDecodeError(body: Uint8Array, pattern?: RegExp): OtlpDecodeError {
  let caught: unknown;
  try {
    decodeTraceRequestProtobuf(body);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(OtlpDecodeError);
  if (pattern) expect((caught as Error).message).toMatch(pattern);
  return caught as OtlpDecodeError;
}

const baseline = () => decodeRows(requestMsg([resourceSpansMsg(RES_ATTRS, [scopeSpansMsg({ name: 'sc', version: '2' }, [spanMsg(FULL)])])]));

describe('protobuf wire format', () => {
  it('decodes a full hand-built span', () => {
    const [r] = baseline();
    expect(r).toEqual({
      Timestamp: 1_700_000_000_123_456_789n,
      TraceId: '0af7651916cd43dd8448eb211c80319c',
      SpanId: 'b7ad6b7169203331',
      ParentSpanId: '00f067aa0ba902b7',
      TraceState: 'k=v',
      SpanName: 'GET /orders',
      SpanKind: 'Client',
      ServiceName: 'pay',
      // map entries in key order, as the Collector writes them
      ResourceAttributes: [['host', 'h1'], ['service.name', 'pay']],
      ScopeName: 'sc',
      ScopeVersion: '2',
      SpanAttributes: [['http.method', 'GET'], ['n', '3']],
      Duration: 1_000_000_001n,
      StatusCode: 'Error',
      StatusMessage: 'bad',
      EventsTimestamp: [1_700_000_000_500_000_000n],
      EventsName: ['ev'],
      EventsAttributes: [[['e', 'true']]],
      LinksTraceId: ['11111111111111111111111111111111'],
      LinksSpanId: ['2222222222222222'],
      LinksTraceState: ['ts=1'],
      LinksAttributes: [[['l', '0.5']]],
    } satisfies SpanRow);
  });

  it('empty request → no rows', () => {
    const res = decodeTraceRequestProtobuf(new Uint8Array(0));
    expect(res).toEqual({ rows: Buffer.alloc(0), accepted: 0, rejected: 0, errorMessage: '' });
  });

  it('resource after scope_spans, scope after spans, span fields reversed: same rows', () => {
    const spanFields: Uint8Array[] = [];
    // build the span field by field, then reverse the field order
    const f = FULL;
    spanFields.push(len(1, f.traceId!), len(2, f.spanId!), len(3, f.traceState!), len(4, f.parentSpanId!), len(5, f.name!), vint(6, f.kind!));
    spanFields.push(fixed64(7, f.start!), fixed64(8, f.end!), ...f.attributes!.map((a) => len(9, a)), ...f.events!.map((e) => len(11, e)));
    spanFields.push(...f.links!.map((l) => len(13, l)), len(15, concat(len(2, 'bad'), vint(3, 2))), fixed32(16, 0x301));
    // attributes keep their relative order (repeated fields), everything else reversed
    const nonAttr = spanFields.filter((x) => x[0] !== 0x4a).reverse();
    const attrsF = spanFields.filter((x) => x[0] === 0x4a);
    const span = concat(nonAttr[0], attrsF[0], ...nonAttr.slice(1, 5), attrsF[1], ...nonAttr.slice(5));
    const scopeSpans = concat(len(2, span), len(1, concat(len(2, '2'), len(1, 'sc'))));
    const resourceSpans = concat(len(2, scopeSpans), len(3, 'https://schema'), len(1, concat(...RES_ATTRS.map((a) => len(1, a)))));
    expect(decodeRows(requestMsg([resourceSpans]))).toEqual(baseline());
  });

  it('scope after spans with a rejected span: counts and rows as if the scope came first', () => {
    const bad = simpleSpan([], { name: 'bad', traceId: hex('01') });
    const good = simpleSpan([kv('a', av.str('b'))], { name: 'good' });
    const late = concat(len(2, bad), len(2, good), len(1, concat(len(1, 'late-scope'), len(2, '9'))));
    const early = concat(len(1, concat(len(1, 'late-scope'), len(2, '9'))), len(2, bad), len(2, good));
    const a = decodeTraceRequestProtobuf(requestMsg([resourceSpansMsg(RES_ATTRS, [late, late])]));
    const b = decodeTraceRequestProtobuf(requestMsg([resourceSpansMsg(RES_ATTRS, [early, early])]));
    expect([a.accepted, a.rejected, a.errorMessage]).toEqual([2, 2, "2 spans rejected: invalid trace_id length 1 (span 'bad')"]);
    expect(Buffer.compare(a.rows, b.rows)).toBe(0);
    expect(readRows(a.rows).map((r) => [r.ScopeName, r.ScopeVersion])).toEqual([['late-scope', '9'], ['late-scope', '9']]);
  });

  it('unknown fields of every wire type (incl. groups, multi-byte tags) are skipped everywhere', () => {
    const unknown = (n: number) =>
      concat(
        vint(n, 12345678901234n),
        fixed64(n + 1, 7n),
        len(n + 2, 'zzz'),
        fixed32(n + 3, 9),
        // group with nested content, closed by the matching end group
        tag(n + 4, WT.SGROUP), vint(1, 1), len(2, 'in group'), tag(3, WT.SGROUP), fixed32(1, 1), tag(3, WT.EGROUP), tag(n + 4, WT.EGROUP),
        len(536870911, [1, 2, 3]), // max field number: 5-byte tag
      );
    const U = (b: Uint8Array, n = 20) => concat(b, unknown(n));
    const kvU = (k: string, v: Uint8Array) => U(concat(len(1, k), len(2, U(v))));
    const span = U(
      spanMsg({
        ...FULL,
        attributes: [kvU('http.method', av.str('GET')), kvU('n', av.int(3))],
        events: [U(eventMsg(1_700_000_000_500_000_000n, 'ev', [kvU('e', av.bool(true))]))],
        links: [U(linkMsg(hex('11111111111111111111111111111111'), hex('2222222222222222'), 'ts=1', [kvU('l', av.double(0.5))]))],
        status: undefined,
        extra: [len(15, U(concat(len(2, 'bad'), vint(3, 2))))],
      }),
      100,
    );
    const scope = U(concat(len(1, 'sc'), len(2, '2'), len(3, kvU('scope.attr', av.str('x'))), vint(4, 0)));
    const scopeSpans = U(concat(len(1, scope), len(2, span), len(3, 'schema')));
    const resource = U(concat(...RES_ATTRS.map((a) => len(1, U(a))), vint(2, 0)));
    const req = U(requestMsg([U(concat(len(1, resource), len(2, scopeSpans)))]), 2);
    expect(decodeRows(req)).toEqual(baseline());
  });

  it('unknown fields inside array / kvlist values are skipped too', () => {
    const arr = concat(len(1, concat(av.str('a'), vint(99, 1))), fixed32(77, 5), len(1, av.int(2)));
    const kvl = concat(len(1, concat(len(1, 'k'), len(2, av.bool(true)), vint(9, 1))), fixed64(8, 1n));
    const rows = decodeRows(oneSpanRequest(simpleSpan([kv('a', len(5, arr)), kv('m', len(6, kvl))])));
    expect(rows[0].SpanAttributes).toEqual([['a', '["a",2]'], ['m', '{"k":true}']]);
  });

  it('non-repeated message fields seen twice are merged; scalars are last-wins', () => {
    // resource split in two: attributes concatenated
    const resourceSpans = concat(
      len(1, len(1, RES_ATTRS[0])),
      len(2, scopeSpansMsg({ name: 'old', version: '2' }, [spanMsg({ ...FULL, name: 'first name', status: { message: 'bad' }, extra: [len(5, 'GET /orders'), len(15, vint(3, 2))] })])),
      len(1, len(1, RES_ATTRS[1])),
    );
    const rows = decodeRows(requestMsg([resourceSpans]));
    const expected = baseline();
    expected[0].ScopeName = 'old';
    expect(rows).toEqual(expected);
    // scope in two segments: name last wins, version kept
    const ss = concat(len(1, concat(len(1, 'a'), len(2, 'v'))), len(2, simpleSpan()), len(1, len(1, 'b')));
    const r2 = decodeRows(requestMsg([resourceSpansMsg([], [ss])]));
    expect([r2[0].ScopeName, r2[0].ScopeVersion]).toEqual(['b', 'v']);
    // KeyValue.value twice: merged AnyValue, last oneof wins
    const kvTwice = concat(len(1, 'k'), len(2, av.str('first')), len(2, av.int(5)));
    expect(decodeRows(oneSpanRequest(simpleSpan([kvTwice])))[0].SpanAttributes).toEqual([['k', '5']]);
    // oneof inside one AnyValue: last field wins
    expect(decodeRows(oneSpanRequest(simpleSpan([kv('k', concat(av.int(1), av.str('s')))])))[0].SpanAttributes).toEqual([['k', 's']]);
  });

  it('non-canonical varints (padded tags and lengths) decode the same', () => {
    // tag 0x0a padded to two bytes, and a length 11 written as 0x8b 0x00
    const name = concat([0xaa, 0x00], [0x8b, 0x80, 0x00], new TextEncoder().encode('GET /orders'));
    const span = spanMsg({ ...FULL, name: undefined, extra: [name] });
    const rows = decodeRows(requestMsg([resourceSpansMsg(RES_ATTRS, [scopeSpansMsg({ name: 'sc', version: '2' }, [span])])]));
    expect(rows).toEqual(baseline());
  });

  it('padded (multi-byte) tags on repeated fields: attributes, events, links, KeyValue parts', () => {
    const padded = (tagByte: number, payload: Uint8Array) => concat([tagByte | 0x80, 0x00], varint(payload.length), payload);
    const kvPadded = concat(padded(0x0a, new TextEncoder().encode('n')), padded(0x12, av.int(3)));
    const span = spanMsg({
      ...FULL,
      attributes: [kv('http.method', av.str('GET'))],
      events: [],
      links: [],
      extra: [
        padded(0x4a, kvPadded),
        padded(0x5a, eventMsg(1_700_000_000_500_000_000n, 'ev', [kv('e', av.bool(true))])),
        padded(0x6a, linkMsg(hex('11111111111111111111111111111111'), hex('2222222222222222'), 'ts=1', [kv('l', av.double(0.5))])),
      ],
    });
    const rows = decodeRows(requestMsg([resourceSpansMsg(RES_ATTRS, [scopeSpansMsg({ name: 'sc', version: '2' }, [span])])]));
    expect(rows).toEqual(baseline());
  });

  it('"packed" encodings of non-repeated scalars are wire-type errors (as in the Collector)', () => {
    // kind sent length-delimited (as if packed)
    expectDecodeError(oneSpanRequest(spanMsg({ ...FULL, kind: undefined, extra: [len(6, [2])] })), /wrong wire type LEN for Span\.kind/);
    // status code sent length-delimited
    expectDecodeError(oneSpanRequest(spanMsg({ ...FULL, status: undefined, extra: [len(15, len(3, [2]))] })), /Status\.code/);
    // an unknown packed repeated field is just skipped
    expect(decodeRows(oneSpanRequest(spanMsg({ ...FULL, extra: [len(50, [1, 2, 3, 0x80, 0x01])] })))).toHaveLength(1);
  });

  it('kinds and status codes, including unknown numbers (written as "", as the Collector v0.159 does)', () => {
    const kinds = [0, 1, 2, 3, 4, 5, 6, -1].map((k) => decodeRows(oneSpanRequest(simpleSpan([], { kind: k })))[0].SpanKind);
    expect(kinds).toEqual(['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer', '', '']);
    const codes = [0, 1, 2, 3, -1].map((c) => decodeRows(oneSpanRequest(simpleSpan([], { status: { code: c } })))[0].StatusCode);
    expect(codes).toEqual(['Unset', 'Ok', 'Error', '', '']);
    // deprecated Status field 1 is ignored
    const dep = decodeRows(oneSpanRequest(simpleSpan([], { extra: [len(15, concat(vint(1, 2), len(2, 'm')))] })))[0];
    expect([dep.StatusCode, dep.StatusMessage]).toEqual(['Unset', 'm']);
    // no kind field at all
    expect(decodeRows(oneSpanRequest(simpleSpan([], { kind: undefined })))[0].SpanKind).toBe('Unspecified');
  });

  it('times: missing → 0, end before start → Duration 0, full 64-bit range kept', () => {
    const noTimes = decodeRows(oneSpanRequest(simpleSpan([], { start: undefined, end: undefined })))[0];
    expect([noTimes.Timestamp, noTimes.Duration]).toEqual([0n, 0n]);
    const backwards = decodeRows(oneSpanRequest(simpleSpan([], { start: 2000n, end: 1000n })))[0];
    expect(backwards.Duration).toBe(0n);
    const borrow = decodeRows(oneSpanRequest(simpleSpan([], { start: 0x1_ffff_ffffn, end: 0x2_0000_0001n })))[0];
    expect(borrow.Duration).toBe(2n);
    const big = decodeRows(oneSpanRequest(simpleSpan([], { start: 1n, end: 0xffff_ffff_ffff_ffffn })))[0];
    expect(big.Duration).toBe(0xffff_ffff_ffff_fffen);
    const ev = decodeRows(oneSpanRequest(simpleSpan([], { events: [concat(len(2, 'no time'))] })))[0];
    expect([ev.EventsTimestamp, ev.EventsName, ev.EventsAttributes]).toEqual([[0n], ['no time'], [[]]]);
  });

  it('several resources, scopes and spans keep request order', () => {
    const mk = (name: string) => simpleSpan([], { name });
    const req = requestMsg([
      resourceSpansMsg([kv('service.name', av.str('A'))], [scopeSpansMsg({ name: 's1' }, [mk('a1'), mk('a2')]), scopeSpansMsg(null, [mk('a3')])]),
      resourceSpansMsg(null, [scopeSpansMsg({ name: 's2', version: 'v' }, [mk('b1')])]),
      resourceSpansMsg([kv('service.name', av.str('C'))], []),
    ]);
    const rows = decodeRows(req);
    expect(rows.map((r) => [r.ServiceName, r.ScopeName, r.ScopeVersion, r.SpanName])).toEqual([
      ['A', 's1', '', 'a1'],
      ['A', 's1', '', 'a2'],
      ['A', '', '', 'a3'],
      ['', 's2', 'v', 'b1'],
    ]);
    expect(rows[3].ResourceAttributes).toEqual([]);
  });

  it('many events and links (scratch growth), links without attributes', () => {
    const events = Array.from({ length: 100 }, (_, i) => eventMsg(BigInt(i), `e${i}`, i % 2 ? [kv('i', av.int(i))] : []));
    const links = Array.from({ length: 40 }, (_, i) => linkMsg(TID, SID, i % 3 ? '' : 'a=b', []));
    const r = decodeRows(oneSpanRequest(simpleSpan([], { events, links })))[0];
    expect(r.EventsName).toEqual(events.map((_, i) => `e${i}`));
    expect(r.EventsTimestamp).toEqual(events.map((_, i) => BigInt(i)));
    expect(r.EventsAttributes[3]).toEqual([['i', '3']]);
    expect(r.EventsAttributes[4]).toEqual([]);
    expect(r.LinksTraceId).toEqual(links.map(() => '0af7651916cd43dd8448eb211c80319c'));
    expect(r.LinksTraceState[0]).toBe('a=b');
    expect(r.LinksAttributes.every((a) => a.length === 0)).toBe(true);
  });
});

describe('span ids: partial success', () => {
  const req = (spans: Uint8Array[]) => requestMsg([resourceSpansMsg(RES_ATTRS, [scopeSpansMsg({ name: 'sc' }, spans)])]);

  it('rejects invalid ids, counts them, keeps the first reason, emits the rest', () => {
    const spans = [
      simpleSpan([], { name: 'ok-1' }),
      simpleSpan([], { name: 'GET /x', traceId: hex('0102030405') }),
      simpleSpan([], { name: 'long trace', traceId: hex('0102030405060708090a0b0c0d0e0f1011') }),
      simpleSpan([], { name: 'no trace', traceId: undefined }),
      simpleSpan([], { name: 'zero trace', traceId: new Uint8Array(16) }),
      simpleSpan([], { name: 'short span', spanId: hex('01020304050607') }),
      simpleSpan([], { name: 'zero span', spanId: new Uint8Array(8) }),
      simpleSpan([], { name: 'bad parent', parentSpanId: hex('010203') }),
      simpleSpan([], { name: 'ok-2', parentSpanId: new Uint8Array(0) }),
      simpleSpan([], { name: 'ok-3', parentSpanId: new Uint8Array(8) }),
    ];
    const res = decodeTraceRequestProtobuf(req(spans));
    expect(res.accepted).toBe(3);
    expect(res.rejected).toBe(7);
    expect(res.errorMessage).toBe("7 spans rejected: invalid trace_id length 5 (span 'GET /x')");
    const rows = readRows(res.rows);
    expect(rows.map((r) => r.SpanName)).toEqual(['ok-1', 'ok-2', 'ok-3']);
    // empty and all-zero parent ids are both "no parent"
    expect(rows.map((r) => r.ParentSpanId)).toEqual(['', '', '']);
  });

  it('reasons for each kind of bad id', () => {
    const reason = (over: Partial<SpanSpec>) => decodeTraceRequestProtobuf(req([simpleSpan([], { name: 'n', ...over })])).errorMessage;
    expect(reason({ traceId: new Uint8Array(16) })).toBe("1 span rejected: all-zero trace_id (span 'n')");
    expect(reason({ spanId: hex('01') })).toBe("1 span rejected: invalid span_id length 1 (span 'n')");
    expect(reason({ spanId: undefined })).toBe("1 span rejected: invalid span_id length 0 (span 'n')");
    expect(reason({ spanId: new Uint8Array(8) })).toBe("1 span rejected: all-zero span_id (span 'n')");
    expect(reason({ parentSpanId: hex('0102030405060708090a') })).toBe("1 span rejected: invalid parent_span_id length 10 (span 'n')");
  });

  it('links keep whatever id bytes they have (hex), all-zero or empty ids become ""', () => {
    const links = [
      linkMsg(hex('0102'), hex('0a0b0c'), ''),
      linkMsg(new Uint8Array(16), new Uint8Array(8), ''),
      linkMsg(new Uint8Array(0), hex('ff'), ''),
    ];
    const r = decodeRows(req([simpleSpan([], { links })]))[0];
    expect(r.LinksTraceId).toEqual(['0102', '', '']);
    expect(r.LinksSpanId).toEqual(['0a0b0c', '', 'ff']);
  });
});

describe('malformed protobuf → OtlpDecodeError', () => {
  const good = oneSpanRequest(spanMsg(FULL));

  it('length past the end names the place', () => {
    // a span whose attribute claims more bytes than the span has
    const badAttr = concat(tag(9, WT.LEN), varint(200), [0x0a, 0x01, 0x61]);
    const e = expectDecodeError(oneSpanRequest(concat(spanMsg(FULL), badAttr)));
    expect(e.message).toMatch(/^truncated protobuf: resource_spans 0, scope_spans 0, span 0: length 200 exceeds remaining 3 bytes/);
  });

  it('truncated top-level message', () => {
    expectDecodeError(good.subarray(0, good.length - 1), /truncated protobuf: request: length \d+ exceeds remaining/);
  });

  it('wrong wire types for known fields', () => {
    expectDecodeError(concat(vint(1, 5)), /wrong wire type VARINT for ExportTraceServiceRequest\.resource_spans/);
    expectDecodeError(oneSpanRequest(spanMsg({ ...FULL, extra: [vint(5, 1)] })), /wrong wire type VARINT for Span\.name/);
    expectDecodeError(oneSpanRequest(spanMsg({ ...FULL, extra: [vint(7, 1)] })), /Span\.start_time_unix_nano/);
    expectDecodeError(oneSpanRequest(spanMsg({ ...FULL, extra: [vint(16, 1)] })), /Span\.flags/);
    expectDecodeError(oneSpanRequest(simpleSpan([kv('k', fixed32(4, 1))])), /AnyValue\.double_value/);
    expectDecodeError(oneSpanRequest(simpleSpan([concat(vint(1, 3))])), /KeyValue\.key/);
    expectDecodeError(oneSpanRequest(simpleSpan([], { events: [fixed32(1, 0)] })), /Span\.Event\.time_unix_nano/);
    expectDecodeError(oneSpanRequest(simpleSpan([], { links: [vint(2, 0)] })), /Span\.Link\.span_id/);
    expectDecodeError(requestMsg([concat(vint(2, 1))]), /ResourceSpans\.scope_spans/);
    expectDecodeError(requestMsg([concat(len(1, vint(1, 1)))]), /Resource\.attributes/);
    expectDecodeError(requestMsg([resourceSpansMsg([], [concat(len(1, vint(2, 1)))])]), /InstrumentationScope\.version/);
  });

  it('bad varints', () => {
    // field 2 (unknown, varint) of the request
    expectDecodeError(Uint8Array.from([0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), /invalid protobuf/);
    expectDecodeError(Uint8Array.from([0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]), /overflows 64 bits/);
    expectDecodeError(Uint8Array.from([0x10, 0xff]), /truncated protobuf: request: varint runs past/);
    // a 10-byte varint with a final 0x01 is fine
    expect(decodeTraceRequestProtobuf(Uint8Array.from([0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).accepted).toBe(0);
    // int_value too long inside an attribute
    expectDecodeError(oneSpanRequest(simpleSpan([kv('k', concat([0x18], Array(10).fill(0xff), [0x01]))])), /varint (longer than 10 bytes|overflows)/);
    expectDecodeError(Uint8Array.from([0x0a]), /truncated protobuf/);
    expectDecodeError(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), /exceeds remaining/);
  });

  it('invalid tags and wire types', () => {
    expectDecodeError(Uint8Array.from([0x00]), /field number 0/);
    expectDecodeError(Uint8Array.from([0x16, 0x00]), /invalid wire type 6/);
    expectDecodeError(Uint8Array.from([0x17, 0x00]), /invalid wire type 7/);
    expectDecodeError(Uint8Array.from([0x1c]), /unexpected end group/);
    expectDecodeError(concat(tag(5, WT.SGROUP), vint(1, 1)), /unterminated group/);
    expectDecodeError(concat(tag(5, WT.SGROUP), tag(6, WT.EGROUP)), /mismatched end group/);
    expectDecodeError(concat(tag(9, WT.I64), [1, 2, 3]), /needs 8 bytes/);
    expectDecodeError(concat(tag(9, WT.I32), [1, 2, 3]), /needs 4 bytes/);
    // deeply nested groups
    const deep = concat(...Array.from({ length: 40 }, () => tag(5, WT.SGROUP)), ...Array.from({ length: 40 }, () => tag(5, WT.EGROUP)));
    expectDecodeError(deep, /groups nested too deeply/);
  });

  it('fixed64 fields cut short inside a span', () => {
    const cut = concat(len(1, TID), len(2, SID), tag(7, WT.I64), [1, 2, 3]);
    expectDecodeError(oneSpanRequest(cut), /start_time_unix_nano needs 8 bytes, 3 left/);
  });

  it('AnyValue nesting: 32 levels accepted, 33 rejected', () => {
    const nest = (depth: number): Uint8Array => {
      let v = av.str('x');
      for (let i = 0; i < depth; i++) v = av.array(v);
      return v;
    };
    const ok = decodeRows(oneSpanRequest(simpleSpan([kv('k', nest(32))])))[0];
    expect(ok.SpanAttributes[0][1]).toBe('['.repeat(32) + '"x"' + ']'.repeat(32));
    expectDecodeError(oneSpanRequest(simpleSpan([kv('k', nest(33))])), /AnyValue nesting deeper than 32/);
    // kvlists count too
    let v = av.str('x');
    for (let i = 0; i < 40; i++) v = av.kvlist(kv('k', v));
    expectDecodeError(oneSpanRequest(simpleSpan([kv('k', v)])), /AnyValue nesting deeper than 32/);
  });

  it('malformed content in resource / scope / event / link attributes is caught', () => {
    const broken = concat(len(1, 'k'), tag(2, WT.LEN), varint(50), [1]);
    expectDecodeError(oneSpanRequest(simpleSpan(), [broken]), /resource_spans 0, resource: length 50 exceeds/);
    expectDecodeError(requestMsg([resourceSpansMsg([], [concat(len(1, len(3, broken)), len(2, simpleSpan()))])]), /scope/);
    expectDecodeError(oneSpanRequest(simpleSpan([], { events: [eventMsg(1n, 'e', [broken])] })), /event 0/);
    expectDecodeError(oneSpanRequest(simpleSpan([], { links: [linkMsg(TID, SID, '', [broken])] })), /link 0/);
  });

  it('rejects non-byte input', () => {
    expect(() => decodeTraceRequestProtobuf('abc' as unknown as Uint8Array)).toThrow(OtlpDecodeError);
  });
});

describe('appending to a caller-owned writer (into)', () => {
  it('appends rows of several requests; rows is a view of the appended part', () => {
    const r1 = oneSpanRequest(simpleSpan([], { name: 'one' }));
    const r2 = requestMsg([resourceSpansMsg(RES_ATTRS, [scopeSpansMsg({ name: 'sc' }, [simpleSpan([], { name: 'two' }), simpleSpan([], { name: 'three' })])])]);
    const w = new RowBinaryWriter(16);
    const a = decodeTraceRequestProtobuf(r1, { into: w });
    const b = decodeTraceRequestProtobuf(r2, { into: w });
    const c = decodeTraceRequestJson(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '0102030405060708090a0b0c0d0e0f10', spanId: '1112131415161718', name: 'four' }] }] }] }), { into: w });
    expect([a.accepted, b.accepted, c.accepted]).toEqual([1, 2, 1]);
    const all = w.finish();
    expect(readRows(all).map((r) => r.SpanName)).toEqual(['one', 'two', 'three', 'four']);
    expect(Buffer.compare(Buffer.concat([a.rows, b.rows, c.rows]), all)).toBe(0);
    expect(Buffer.compare(a.rows, decodeTraceRequestProtobuf(r1).rows)).toBe(0);
  });

  it('a malformed request leaves the writer exactly as it was', () => {
    const w = new RowBinaryWriter(16);
    decodeTraceRequestProtobuf(oneSpanRequest(simpleSpan([], { name: 'kept' })), { into: w });
    const before = Buffer.from(w.buf.subarray(0, w.pos));
    // many valid spans first (they are written), then a broken one
    const spans = Array.from({ length: 50 }, (_, i) => simpleSpan([kv('i', av.int(i))], { name: `s${i}` }));
    spans.push(concat(len(1, hex('0102030405060708090a0b0c0d0e0f10')), [0x12, 0x30]));
    expect(() => decodeTraceRequestProtobuf(requestMsg([resourceSpansMsg(RES_ATTRS, [scopeSpansMsg({ name: 'sc' }, spans)])]), { into: w })).toThrow(OtlpDecodeError);
    expect(() => decodeTraceRequestJson('{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"1112131415161718"},{"name":5}]}]}]}', { into: w })).toThrow(OtlpDecodeError);
    expect(Buffer.compare(Buffer.from(w.buf.subarray(0, w.pos)), before)).toBe(0);
    expect(readRows(w.finish()).map((r) => r.SpanName)).toEqual(['kept']);
  });

  it('a large resource (thousands of attributes) is copied into every row', () => {
    const attrs = Array.from({ length: 3000 }, (_, i) => kv(`attr.${i}`, av.str('v'.repeat(i % 50))));
    attrs.unshift(kv('service.name', av.str('big')));
    const req = requestMsg([resourceSpansMsg(attrs, [scopeSpansMsg({ name: 'sc' }, [simpleSpan([], { name: 'a' }), simpleSpan([], { name: 'b' })])])]);
    const rows = decodeRows(req);
    expect(rows.map((r) => r.ResourceAttributes.length)).toEqual([3001, 3001]);
    // keys are ASCII, so JS string order is byte order
    const inKeyOrder = [['service.name', 'big'], ...Array.from({ length: 3000 }, (_, i) => [`attr.${i}`, 'v'.repeat(i % 50)])]
      .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    expect(rows[1].ResourceAttributes).toEqual(inKeyOrder);
    expect(rows[0].ServiceName).toBe('big');
  });
});
