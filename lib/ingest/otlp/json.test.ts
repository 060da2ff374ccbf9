/**
 * OTLP/JSON specifics: field name spellings, enum names, int64 encodings, hex ids, garbage input.
 */
import { describe, expect, it } from 'vitest';
import { gunzipSync, gzipSync } from 'node:zlib';
import { decodeTraceRequestJson, decodeTraceRequestProtobuf, MAX_ANYVALUE_DEPTH, MAX_JSON_DEPTH, OtlpDecodeError } from './index';
import { av, eventMsg, hex, kv, linkMsg, requestMsg, resourceSpansMsg, scopeSpansMsg, spanMsg } from './testing/pb';
import { readRows } from './testing/rowbinary-reader';

const TID = '0af7651916cd43dd8448eb211c80319c';
const SID = 'b7ad6b7169203331';
const PID = '00f067aa0ba902b7';

function req(span: Record<string, unknown>, extra: { resource?: unknown; scope?: unknown } = {}): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: extra.resource ?? { attributes: [{ key: 'service.name', value: { stringValue: 'pay' } }] },
        scopeSpans: [{ scope: extra.scope ?? { name: 'sc', version: '2' }, spans: [span] }],
      },
    ],
  });
}

const BASE = { traceId: TID, spanId: SID, name: 'op', startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000000000500' };

function one(span: Record<string, unknown>) {
  const res = decodeTraceRequestJson(req(span));
  return { res, row: readRows(res.rows)[0] };
}

/** Deepest bracket nesting of JSON whose strings hold no brackets or quotes. */
function maxDepth(json: string): number {
  let depth = 0;
  let max = 0;
  for (const c of json) {
    if (c === '[' || c === '{') max = Math.max(max, ++depth);
    else if (c === ']' || c === '}') depth--;
  }
  return max;
}

function expectError(body: string | Uint8Array, pattern?: RegExp): void {
  let caught: unknown;
  try {
    decodeTraceRequestJson(body);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(OtlpDecodeError);
  if (pattern) expect((caught as Error).message).toMatch(pattern);
}

describe('OTLP/JSON decoding', () => {
  it('camelCase and snake_case requests equal the protobuf encoding of the same data', () => {
    const pb = requestMsg([
      resourceSpansMsg([kv('service.name', av.str('pay')), kv('n', av.int(-3))], [
        scopeSpansMsg({ name: 'sc', version: '2' }, [
          spanMsg({
            traceId: hex(TID),
            spanId: hex(SID),
            parentSpanId: hex(PID),
            traceState: 'a=1',
            name: 'GET /x',
            kind: 3,
            start: 1_700_000_000_123_456_789n,
            end: 1_700_000_000_223_456_789n,
            attributes: [kv('s', av.str('v')), kv('big', av.int(9007199254740993n)), kv('arr', av.array(av.bool(true), av.int(2)))],
            events: [eventMsg(1_700_000_000_200_000_000n, 'ev', [kv('b', av.bytes([1, 2, 3]))])],
            links: [linkMsg(hex(TID), hex(PID), 'x=y', [kv('k', av.kvlist(kv('z', av.double(1.25))))])],
            status: { code: 2, message: 'failed' },
          }),
        ]),
      ]),
    ]);
    const camel = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'pay' } }, { key: 'n', value: { intValue: '-3' } }], droppedAttributesCount: 0 },
          scopeSpans: [
            {
              scope: { name: 'sc', version: '2' },
              spans: [
                {
                  traceId: TID.toUpperCase(),
                  spanId: SID,
                  parentSpanId: PID,
                  traceState: 'a=1',
                  name: 'GET /x',
                  kind: 'SPAN_KIND_CLIENT',
                  startTimeUnixNano: '1700000000123456789',
                  endTimeUnixNano: '1700000000223456789',
                  attributes: [
                    { key: 's', value: { stringValue: 'v' } },
                    { key: 'big', value: { intValue: '9007199254740993' } },
                    { key: 'arr', value: { arrayValue: { values: [{ boolValue: true }, { intValue: 2 }] } } },
                  ],
                  events: [{ timeUnixNano: '1700000000200000000', name: 'ev', attributes: [{ key: 'b', value: { bytesValue: 'AQID' } }] }],
                  links: [{ traceId: TID, spanId: PID, traceState: 'x=y', attributes: [{ key: 'k', value: { kvlistValue: { values: [{ key: 'z', value: { doubleValue: 1.25 } }] } } }] }],
                  status: { code: 'STATUS_CODE_ERROR', message: 'failed' },
                  flags: 257,
                  somethingNew: { nested: [1, 2, 3] },
                },
              ],
              schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
            },
          ],
        },
      ],
    };
    const snake = {
      resource_spans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { string_value: 'pay' } }, { key: 'n', value: { int_value: -3 } }] },
          scope_spans: [
            {
              scope: { name: 'sc', version: '2' },
              spans: [
                {
                  trace_id: TID,
                  span_id: SID.toUpperCase(),
                  parent_span_id: PID,
                  trace_state: 'a=1',
                  name: 'GET /x',
                  kind: 3,
                  start_time_unix_nano: '1700000000123456789',
                  end_time_unix_nano: '1700000000223456789',
                  attributes: [
                    { key: 's', value: { string_value: 'v' } },
                    { key: 'big', value: { int_value: '9007199254740993' } },
                    { key: 'arr', value: { array_value: { values: [{ bool_value: true }, { int_value: '2' }] } } },
                  ],
                  events: [{ time_unix_nano: '1700000000200000000', name: 'ev', attributes: [{ key: 'b', value: { bytes_value: 'AQID' } }] }],
                  links: [{ trace_id: TID, span_id: PID, trace_state: 'x=y', attributes: [{ key: 'k', value: { kvlist_value: { values: [{ key: 'z', value: { double_value: '1.25' } }] } } }] }],
                  status: { code: 2, message: 'failed' },
                },
              ],
            },
          ],
        },
      ],
    };
    const a = decodeTraceRequestProtobuf(pb);
    const b = decodeTraceRequestJson(JSON.stringify(camel));
    const c = decodeTraceRequestJson(new TextEncoder().encode(JSON.stringify(snake)));
    expect(a.accepted).toBe(1);
    expect(Buffer.compare(a.rows, b.rows)).toBe(0);
    expect(Buffer.compare(a.rows, c.rows)).toBe(0);
    const row = readRows(b.rows)[0];
    expect(row.TraceId).toBe(TID);
    expect(row.SpanKind).toBe('Client');
    expect(row.StatusCode).toBe('Error');
  });

  it('enum names for every kind and status code; numbers too (unknown numbers written as "", as the Collector v0.159 does)', () => {
    const kinds = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER', 9];
    expect(kinds.map((k) => one({ ...BASE, kind: k }).row.SpanKind)).toEqual(['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer', '']);
    const codes = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR', 0, 1, 2, 7];
    expect(codes.map((c) => one({ ...BASE, status: { code: c } }).row.StatusCode)).toEqual(['Unset', 'Ok', 'Error', 'Unset', 'Ok', 'Error', '']);
  });

  it('times as numbers or strings, full 64-bit strings, missing → 0', () => {
    expect(one({ ...BASE, startTimeUnixNano: 1000, endTimeUnixNano: 3500 }).row.Duration).toBe(2500n);
    const max = one({ ...BASE, startTimeUnixNano: '18446744073709551615', endTimeUnixNano: '18446744073709551615' }).row;
    expect(max.Timestamp).toBe(-1n); // Int64 view of 2^64-1
    expect(one({ ...BASE, startTimeUnixNano: '1', endTimeUnixNano: '18446744073709551615' }).row.Duration).toBe(18446744073709551614n);
    const { row } = one({ traceId: TID, spanId: SID });
    expect([row.Timestamp, row.Duration, row.SpanName]).toEqual([0n, 0n, '']);
    for (const t of ['1700000000123456789', '99999999999999999', '100000000000000000', '4294967296000000000', '12345678901234567890']) {
      expect(one({ ...BASE, startTimeUnixNano: t, endTimeUnixNano: t }).row.Timestamp).toBe(BigInt.asIntN(64, BigInt(t)));
    }
  });

  it('64-bit integers sent as JSON numbers are decoded exactly (issue 16: JSON.parse rounded them above 2^53)', () => {
    const body = (start: string, end: string, int: string, evt: string) =>
      `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TID}","spanId":"${SID}","startTimeUnixNano": ${start},` +
      `"endTimeUnixNano":${end},"attributes":[{"key":"i","value":{"intValue":${int}}},{"key":"s","value":{"stringValue":"\\"intValue\\": 9007199254740993"}}],` +
      `"events":[{"time_unix_nano":${evt},"name":"e"}]}]}]}]}`;
    const row = readRows(decodeTraceRequestJson(body('1544712660123456789', '1544712660123456809', '9007199254740993', '1544712660123456799')).rows)[0];
    expect(row.Timestamp).toBe(1544712660123456789n);
    expect(row.Duration).toBe(20n);
    expect(row.EventsTimestamp).toEqual([1544712660123456799n]);
    expect(row.SpanAttributes).toEqual([['i', '9007199254740993'], ['s', '"intValue": 9007199254740993']]);
    // the same from bytes, negative and extreme values, snake_case keys
    const bytes = Buffer.from(body('18446744073709551615', '18446744073709551615', '-9223372036854775808', '9007199254740993').replace('"intValue"', '"int_value"'));
    const r2 = readRows(decodeTraceRequestJson(bytes).rows)[0];
    expect([r2.Timestamp, r2.EventsTimestamp[0], r2.SpanAttributes[0][1]]).toEqual([-1n, 9007199254740993n, '-9223372036854775808']);
    expect(readRows(decodeTraceRequestJson(body('1', '2', '-9007199254740993', '3')).rows)[0].SpanAttributes[0][1]).toBe('-9007199254740993');
    // outside their range: as before, a double for intValue, an error for times
    expect(readRows(decodeTraceRequestJson(body('1', '2', '9223372036854775808', '3')).rows)[0].SpanAttributes[0][1]).toBe('9223372036854776000');
    expectError(body('18446744073709551616', '2', '1', '3'), /startTimeUnixNano "18446744073709551616" does not fit in 64 bits/);
    expectError(body('-1544712660123456789', '2', '1', '3'), /startTimeUnixNano/);
    // a number where a string belongs is still refused, and invalid JSON stays invalid
    expectError(req({ ...BASE, name: 12345678901234567 }), /name must be a string/);
    expectError(body('01544712660123456789', '2', '1', '3'), /not valid JSON/);
  });

  it('intValue numbers outside int64 / non-integral fall back to double formatting', () => {
    const v = (x: unknown) => one({ ...BASE, attributes: [{ key: 'k', value: { intValue: x } }] }).row.SpanAttributes[0][1];
    expect(v(1e21)).toBe('1e+21');
    // the literal 2 ** 60 serialises to (1152921504606847000) is decoded as written, not as the double
    expect(v(2 ** 60)).toBe('1152921504606847000');
    expect(v(2 ** 63)).toBe('9223372036854776000');
    expect(v(-(2 ** 63))).toBe('-9223372036854775808');
    expect(v('+5')).toBe('5');
    expect(v('-0')).toBe('0');
  });

  it('nulls are absent values; unknown fields are ignored', () => {
    const { res, row } = one({ ...BASE, parentSpanId: null, traceState: null, attributes: null, events: null, links: null, status: null, whatever: 1 });
    expect(res.accepted).toBe(1);
    expect([row.ParentSpanId, row.TraceState, row.StatusCode]).toEqual(['', '', 'Unset']);
    expect(decodeTraceRequestJson('{}').accepted).toBe(0);
    expect(decodeTraceRequestJson('{"resourceSpans":null}').accepted).toBe(0);
    expect(decodeTraceRequestJson('\ufeff{"resourceSpans":[]}').accepted).toBe(0);
    expect(decodeTraceRequestJson(Uint8Array.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d])).accepted).toBe(0);
  });

  it('invalid hex ids reject the span; links keep valid hex, else ""', () => {
    const body = JSON.stringify({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                { ...BASE, name: 'bad-hex', traceId: 'zz' + TID.slice(2) },
                { ...BASE, name: 'short', traceId: TID.slice(0, 30) },
                { ...BASE, name: 'odd', spanId: SID + 'a' },
                { ...BASE, name: 'zero', traceId: '0'.repeat(32) },
                { ...BASE, name: 'zero-span', spanId: '0'.repeat(16) },
                { ...BASE, name: 'bad-parent', parentSpanId: 'xyz' },
                { ...BASE, name: 'empty', traceId: '' },
                {
                  ...BASE,
                  name: 'ok',
                  parentSpanId: '0000000000000000',
                  links: [{ traceId: 'ABCD', spanId: 'nothex' }, { traceId: '0'.repeat(32), spanId: '' }],
                },
              ],
            },
          ],
        },
      ],
    });
    const res = decodeTraceRequestJson(body);
    expect(res.accepted).toBe(1);
    expect(res.rejected).toBe(7);
    expect(res.errorMessage).toBe(`7 spans rejected: invalid trace_id "zz${TID.slice(2)}" (expected 32 hex digits) (span 'bad-hex')`);
    const row = readRows(res.rows)[0];
    expect(row.SpanName).toBe('ok');
    expect(row.ParentSpanId).toBe('');
    expect(row.LinksTraceId).toEqual(['abcd', '']);
    expect(row.LinksSpanId).toEqual(['', '']);
  });

  it('garbage and wrong top-level shapes', () => {
    expectError('not json', /not valid JSON/);
    expectError('', /not valid JSON/);
    expectError('{"resourceSpans": [', /not valid JSON/);
    expectError('[]', /expected a JSON object/);
    expectError('null', /expected a JSON object/);
    expectError('42', /expected a JSON object/);
    expectError('"str"', /expected a JSON object/);
    expectError('{"resourceSpans": {}}', /resourceSpans must be an array/);
    expectError('{"resourceSpans": "x"}', /resourceSpans must be an array/);
    expectError('{"resourceSpans": [1]}', /resourceSpans\[0\]: expected an object/);
    expectError('{"resourceSpans": [{"scopeSpans": {}}]}', /scopeSpans must be an array/);
    expectError('{"resourceSpans": [{"scopeSpans": [{"spans": 3}]}]}', /spans must be an array/);
    expectError('{"resourceSpans": [{"resource": []}]}', /resource must be an object/);
    expect(() => decodeTraceRequestJson(42 as unknown as string)).toThrow(OtlpDecodeError);
  });

  it('wrong field types name the place', () => {
    const at = (span: Record<string, unknown>, pattern: RegExp) => expectError(req({ ...BASE, ...span }), pattern);
    at({ name: 5 }, /resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]: name must be a string/);
    at({ traceId: 123 }, /traceId must be a string/);
    at({ kind: 'SERVER' }, /unknown kind "SERVER"/);
    at({ kind: 1.5 }, /kind must be an integer/);
    at({ kind: true }, /kind must be an integer or an enum name/);
    at({ startTimeUnixNano: 'abc' }, /startTimeUnixNano must be a non-negative integer/);
    at({ startTimeUnixNano: -5 }, /startTimeUnixNano must be a non-negative 64-bit integer/);
    at({ endTimeUnixNano: '18446744073709551616' }, /does not fit in 64 bits/);
    at({ attributes: {} }, /attributes must be an array/);
    at({ attributes: [5] }, /attributes\[0\]: expected a KeyValue object/);
    at({ attributes: [{ key: 1 }] }, /key must be a string/);
    at({ attributes: [{ key: 'k', value: 'v' }] }, /value must be an object/);
    at({ attributes: [{ key: 'k', value: { intValue: '1.5' } }] }, /intValue must be an integer/);
    at({ attributes: [{ key: 'k', value: { intValue: '9223372036854775808' } }] }, /does not fit in int64/);
    at({ attributes: [{ key: 'k', value: { boolValue: 'true' } }] }, /boolValue must be a boolean/);
    at({ attributes: [{ key: 'k', value: { doubleValue: 'abc' } }] }, /doubleValue must be a number/);
    at({ attributes: [{ key: 'k', value: { stringValue: 5 } }] }, /stringValue must be a string/);
    at({ attributes: [{ key: 'k', value: { bytesValue: '@@@' } }] }, /not valid base64/);
    at({ attributes: [{ key: 'k', value: { arrayValue: { values: {} } } }] }, /arrayValue.values must be an array/);
    at({ attributes: [{ key: 'k', value: { kvlistValue: { values: [1] } } }] }, /expected a KeyValue object in kvlistValue/);
    at({ events: [1] }, /events\[0\]: expected an object/);
    at({ events: [{ name: 1 }] }, /events\[0\]: name must be a string/);
    at({ events: [{ attributes: [{ key: 'k', value: { boolValue: 1 } }] }] }, /events\[0\]\.attributes\[0\]: boolValue/);
    at({ links: [{ traceId: 5 }] }, /links\[0\]: traceId must be a string/);
    at({ status: { code: 'ERROR' } }, /status: unknown code "ERROR"/);
    at({ status: 'error' }, /status must be an object/);
    expectError(req(BASE, { resource: { attributes: [{ key: 'k', value: { intValue: 'x' } }] } }), /resource.attributes\[0\]: intValue/);
    expectError(req(BASE, { scope: { name: 5 } }), /scope: name must be a string/);
  });

  it('64-bit integers with millions of digits are refused at once, and messages do not echo them (fuzz/ finding)', () => {
    // BigInt parsed these digit strings for seconds, blocking the server, and the 400 echoed all of them.
    const digits = '9'.repeat(4_000_000);
    for (const [span, pattern] of [
      [{ ...BASE, attributes: [{ key: 'k', value: { intValue: digits } }] }, /intValue "9{40}…" does not fit in int64$/],
      [{ ...BASE, attributes: [{ key: 'k', value: { intValue: '-' + digits } }] }, /does not fit in int64$/],
      [{ ...BASE, startTimeUnixNano: digits }, /startTimeUnixNano "9{40}…" does not fit in 64 bits$/],
      [{ ...BASE, kind: 'SPAN_KIND_'.repeat(400_000) }, /unknown kind "(SPAN_KIND_){4}…"$/],
    ] as const) {
      let caught: Error | undefined;
      try { decodeTraceRequestJson(req(span)); } catch (e) { caught = e as Error; }
      expect(caught).toBeInstanceOf(OtlpDecodeError);
      expect(caught!.message).toMatch(pattern);
      expect(caught!.message.length).toBeLessThan(200);
    }
    // leading zeros are not significant digits: still exact values
    const v = (x: string) => one({ ...BASE, attributes: [{ key: 'k', value: { intValue: x } }] }).row.SpanAttributes[0][1];
    expect(v('0'.repeat(1_000_000) + '9223372036854775807')).toBe('9223372036854775807');
    expect(v('-' + '0'.repeat(100) + '9223372036854775808')).toBe('-9223372036854775808');
    expect(v('+' + '0'.repeat(100))).toBe('0');
    expect(one({ ...BASE, startTimeUnixNano: '0'.repeat(100) + '18446744073709551615' }).row.Timestamp).toBe(-1n);
    expectError(req({ ...BASE, startTimeUnixNano: '0'.repeat(100) + '18446744073709551616' }), /startTimeUnixNano "0{40}…" does not fit in 64 bits$/);
    expectError(req({ ...BASE, attributes: [{ key: 'k', value: { intValue: '0'.repeat(100) + '9223372036854775808' } }] }), /intValue "0{40}…" does not fit in int64$/);
  });

  it('AnyValue nesting deeper than 32 is rejected', () => {
    const nest = (d: number): unknown => (d === 0 ? { stringValue: 'x' } : { arrayValue: { values: [nest(d - 1)] } });
    expect(one({ ...BASE, attributes: [{ key: 'k', value: nest(32) }] }).res.accepted).toBe(1);
    expectError(req({ ...BASE, attributes: [{ key: 'k', value: nest(33) }] }), /nesting deeper than 32/);
  });

  it('JSON nested deeper than OTLP can need is refused before it is parsed (security review: a 31 KB gzip body froze the process for ~9 s)', () => {
    // The body limit applies after decompression: 32 MiB of brackets compress to about 32 KB.
    for (const unit of ['[', '{"a":']) {
      const gz = gzipSync(Buffer.from(unit.repeat(Math.floor((32 << 20) / unit.length))), { level: 9 });
      expect(gz.length).toBeLessThan(50_000);
      const body = gunzipSync(gz);
      expectError(body, new RegExp(`^invalid OTLP/JSON: nesting deeper than ${MAX_JSON_DEPTH} levels \\(at byte \\d+\\)`));
      expectError(body.toString('latin1'), /nesting deeper than/);
    }
    // The deepest valid OTLP/JSON: an event attribute nesting kvlists 32 deep. Accepted, and it
    // needs the depth the limit's comment counts.
    const nest = (d: number): unknown => (d === 0 ? { stringValue: 'x' } : { kvlistValue: { values: [{ key: 'k', value: nest(d - 1) }] } });
    const deepest = req({ ...BASE, events: [{ name: 'e', attributes: [{ key: 'k', value: nest(MAX_ANYVALUE_DEPTH) }] }] });
    expect(maxDepth(deepest)).toBe(12 + 4 * MAX_ANYVALUE_DEPTH);
    expect(maxDepth(deepest)).toBeLessThan(MAX_JSON_DEPTH);
    expect(decodeTraceRequestJson(deepest).accepted).toBe(1);
    expect(decodeTraceRequestJson(Buffer.from(deepest)).accepted).toBe(1);
    // Brackets inside strings (escaped quotes included) are not nesting.
    const name = '["\\"'.repeat(400);
    const quoted = one({ ...BASE, name, attributes: [{ key: '{'.repeat(400), value: { stringValue: '\\' + '['.repeat(400) } }] });
    expect(quoted.res.accepted).toBe(1);
    expect(quoted.row.SpanName).toBe(name);
    // Just over the limit, in an unknown field the decoder would otherwise ignore.
    const over = JSON.stringify({ resourceSpans: [], extra: JSON.parse('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH)) });
    expectError(over, /nesting deeper than/);
    const at = JSON.stringify({ resourceSpans: [], extra: JSON.parse('['.repeat(MAX_JSON_DEPTH - 1) + ']'.repeat(MAX_JSON_DEPTH - 1)) });
    expect(decodeTraceRequestJson(at).accepted).toBe(0);
  });
});
