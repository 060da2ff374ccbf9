/**
 * Attribute value stringification must equal the Collector's pcommon Value.AsString(). Expected strings
 * below are hand-computed from Go's rules (strconv.FormatInt, float64AsString, base64.StdEncoding,
 * json.Marshal of AsRaw()). Each case goes through the protobuf path and, where it has a JSON form,
 * through the JSON path too.
 */
import { describe, expect, it } from 'vitest';
import { decodeTraceRequestJson, decodeTraceRequestProtobuf } from './index';
import { av, kv, oneSpanRequest, simpleSpan, type AV } from './testing/pb';
import { readRows } from './testing/rowbinary-reader';

type JsonAV = Record<string, unknown>;

function viaProtobuf(value: AV, opts?: { escapeHtmlInJson?: boolean }): string {
  const res = decodeTraceRequestProtobuf(oneSpanRequest(simpleSpan([kv('k', value)])), opts);
  expect(res.accepted).toBe(1);
  const rows = readRows(res.rows);
  expect(rows[0].SpanAttributes).toHaveLength(1);
  return rows[0].SpanAttributes[0][1];
}

function jsonRequest(value: JsonAV | undefined): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
        scopeSpans: [
          {
            scope: { name: 'sc', version: '1' },
            spans: [
              {
                traceId: '0102030405060708090a0b0c0d0e0f10',
                spanId: '1112131415161718',
                name: 'op',
                kind: 2,
                startTimeUnixNano: '1700000000000000000',
                endTimeUnixNano: '1700000000250000000',
                attributes: [value === undefined ? { key: 'k' } : { key: 'k', value }],
              },
            ],
          },
        ],
      },
    ],
  });
}

function viaJson(value: JsonAV, opts?: { escapeHtmlInJson?: boolean }): string {
  const res = decodeTraceRequestJson(jsonRequest(value), opts);
  expect(res.accepted).toBe(1);
  return readRows(res.rows)[0].SpanAttributes[0][1];
}

// [name, protobuf AnyValue, JSON AnyValue (or null when there is no JSON form), expected]
const CASES: Array<[string, AV, JsonAV | null, string]> = [
  ['string', av.str('hello wörld'), { stringValue: 'hello wörld' }, 'hello wörld'],
  ['string keeps < > & raw', av.str('<a>&'), { stringValue: '<a>&' }, '<a>&'],
  ['empty string', av.str(''), { stringValue: '' }, ''],
  ['bool true', av.bool(true), { boolValue: true }, 'true'],
  ['bool false', av.bool(false), { boolValue: false }, 'false'],
  ['int 0', av.int(0), { intValue: '0' }, '0'],
  ['int 42 (number in JSON)', av.int(42), { intValue: 42 }, '42'],
  ['int -1 (10-byte varint)', av.int(-1), { intValue: -1 }, '-1'],
  ['int -2^31', av.int(-2147483648), { intValue: '-2147483648' }, '-2147483648'],
  ['int 2^32', av.int(4294967296), { intValue: '4294967296' }, '4294967296'],
  ['int 2^53-1', av.int(9007199254740991n), { intValue: '9007199254740991' }, '9007199254740991'],
  ['int 2^53+1', av.int(9007199254740993n), { intValue: '9007199254740993' }, '9007199254740993'],
  ['int -2^53', av.int(-9007199254740992n), { intValue: '-9007199254740992' }, '-9007199254740992'],
  ['int -(2^53+1)', av.int(-9007199254740993n), { intValue: '-9007199254740993' }, '-9007199254740993'],
  ['int max int64', av.int(9223372036854775807n), { intValue: '9223372036854775807' }, '9223372036854775807'],
  ['int min int64', av.int(-9223372036854775808n), { intValue: '-9223372036854775808' }, '-9223372036854775808'],
  ['int 1234567890123456789', av.int(1234567890123456789n), { intValue: '1234567890123456789' }, '1234567890123456789'],
  ['double 1.5', av.double(1.5), { doubleValue: 1.5 }, '1.5'],
  ['double 129.99', av.double(129.99), { doubleValue: 129.99 }, '129.99'],
  ['double 0.1+0.2', av.double(0.1 + 0.2), { doubleValue: 0.30000000000000004 }, '0.30000000000000004'],
  ['double 1e21', av.double(1e21), { doubleValue: 1e21 }, '1e+21'],
  ['double 1e20', av.double(1e20), { doubleValue: 1e20 }, '100000000000000000000'],
  ['double 123456789012345680000', av.double(123456789012345680000), { doubleValue: 123456789012345680000 }, '123456789012345680000'],
  ['double 0.000001', av.double(0.000001), { doubleValue: 0.000001 }, '0.000001'],
  ['double 1e-7', av.double(1e-7), { doubleValue: 1e-7 }, '1e-7'],
  ['double 1.5e-7', av.double(1.5e-7), { doubleValue: '1.5e-7' }, '1.5e-7'],
  ['double -2.5e-10', av.double(-2.5e-10), { doubleValue: -2.5e-10 }, '-2.5e-10'],
  ['double 1e-100', av.double(1e-100), { doubleValue: 1e-100 }, '1e-100'],
  ['double 5e-324', av.double(5e-324), { doubleValue: 5e-324 }, '5e-324'],
  ['double max', av.double(Number.MAX_VALUE), { doubleValue: Number.MAX_VALUE }, '1.7976931348623157e+308'],
  ['double 0', av.double(0), { doubleValue: 0 }, '0'],
  // Go's strconv.AppendFloat keeps the sign of negative zero (ES6 String(-0) would give "0")
  ['double -0', av.double(-0), { doubleValue: '-0' }, '-0'],
  ['double 3 (integral double stays a double)', av.double(3), { doubleValue: 3 }, '3'],
  // pdata float64AsString since v1.51 (Collector v0.151)
  ['double NaN', av.double(NaN), { doubleValue: 'NaN' }, 'NaN'],
  ['double +Inf', av.double(Infinity), { doubleValue: 'Infinity' }, 'Infinity'],
  ['double -Inf', av.double(-Infinity), { doubleValue: '-Infinity' }, '-Infinity'],
  ['bytes', av.bytes([0, 1, 2, 253, 254, 255]), { bytesValue: 'AAEC/f7/' }, 'AAEC/f7/'],
  ['bytes 1 byte', av.bytes([0xff]), { bytesValue: '/w==' }, '/w=='],
  ['bytes 2 bytes', av.bytes([0xff, 0xee]), { bytesValue: '/+4=' }, '/+4='],
  ['bytes empty', av.bytes([]), { bytesValue: '' }, ''],
  ['empty AnyValue', av.empty(), {}, ''],
  ['empty array', av.array(), { arrayValue: {} }, '[]'],
  ['empty kvlist', av.kvlist(), { kvlistValue: { values: [] } }, '{}'],
  [
    'array of mixed types',
    av.array(av.str('a'), av.int(1), av.double(2.5), av.bool(true), av.empty(), av.bytes([1, 2, 3]), av.array(), av.kvlist(), av.int(-9223372036854775808n)),
    {
      arrayValue: {
        values: [
          { stringValue: 'a' }, { intValue: '1' }, { doubleValue: 2.5 }, { boolValue: true }, {}, { bytesValue: 'AQID' },
          { arrayValue: {} }, { kvlistValue: {} }, { intValue: '-9223372036854775808' },
        ],
      },
    },
    '["a",1,2.5,true,null,"AQID",[],{},-9223372036854775808]',
  ],
  ['array: doubles ES6 style, -0 keeps sign', av.array(av.double(1e-7), av.double(1e21), av.double(-0), av.double(0.5)), {
    arrayValue: { values: [{ doubleValue: 1e-7 }, { doubleValue: 1e21 }, { doubleValue: '-0' }, { doubleValue: 0.5 }] },
  }, '[1e-7,1e+21,-0,0.5]'],
  // pdata ByteSlice.AsRaw() of an empty byte slice is a nil []byte, which json.Marshal writes as null
  ['array: empty bytes is null', av.array(av.bytes([])), { arrayValue: { values: [{ bytesValue: '' }] } }, '[null]'],
  // json.Marshal fails on NaN / Inf, and AsString ignores the error: empty string
  ['array with NaN → ""', av.array(av.str('x'), av.double(NaN)), { arrayValue: { values: [{ stringValue: 'x' }, { doubleValue: 'NaN' }] } }, ''],
  ['kvlist with -Inf deep inside → ""', av.kvlist(kv('a', av.array(av.double(-Infinity)))), {
    kvlistValue: { values: [{ key: 'a', value: { arrayValue: { values: [{ doubleValue: '-Infinity' }] } } }] },
  }, ''],
  // `<>&` are not HTML-escaped since Collector v0.152
  ['kvlist: keys sorted, no HTML escaping', av.kvlist(kv('b', av.int(1)), kv('a', av.str('<x>'))), {
    kvlistValue: { values: [{ key: 'b', value: { intValue: 1 } }, { key: 'a', value: { stringValue: '<x>' } }] },
  }, '{"a":"<x>","b":1}'],
  ['kvlist: duplicate key, last wins', av.kvlist(kv('k', av.int(1)), kv('j', av.bool(false)), kv('k', av.int(2))), {
    kvlistValue: { values: [{ key: 'k', value: { intValue: 1 } }, { key: 'j', value: { boolValue: false } }, { key: 'k', value: { intValue: 2 } }] },
  }, '{"j":false,"k":2}'],
  ['kvlist: value absent is null', av.kvlist(kv('k')), { kvlistValue: { values: [{ key: 'k' }] } }, '{"k":null}'],
  [
    'kvlist: keys sorted by UTF-8 bytes, not UTF-16',
    av.kvlist(kv('😀', av.int(5)), kv('～', av.int(4)), kv('é', av.int(3)), kv('z', av.int(2)), kv('a', av.int(1))),
    {
      kvlistValue: {
        values: [
          { key: '😀', value: { intValue: 5 } }, { key: '～', value: { intValue: 4 } }, { key: 'é', value: { intValue: 3 } },
          { key: 'z', value: { intValue: 2 } }, { key: 'a', value: { intValue: 1 } },
        ],
      },
    },
    '{"a":1,"z":2,"é":3,"～":4,"😀":5}',
  ],
  [
    'nested kvlist and array',
    av.kvlist(kv('outer', av.kvlist(kv('list', av.array(av.str('&'), av.kvlist(kv('y', av.bool(true)), kv('x', av.empty())))))), kv('n', av.double(0.25))),
    {
      kvlistValue: {
        values: [
          {
            key: 'outer',
            value: {
              kvlistValue: {
                values: [
                  {
                    key: 'list',
                    value: {
                      arrayValue: {
                        values: [{ stringValue: '&' }, { kvlistValue: { values: [{ key: 'y', value: { boolValue: true } }, { key: 'x', value: {} }] } }],
                      },
                    },
                  },
                ],
              },
            },
          },
          { key: 'n', value: { doubleValue: 0.25 } },
        ],
      },
    },
    '{"n":0.25,"outer":{"list":["&",{"x":null,"y":true}]}}',
  ],
  [
    'JSON string escapes (Go encoding/json)',
    av.array(av.str('q"\\/\n\r\t\b\f\u0001\u001f\u007f<>&é')),
    { arrayValue: { values: [{ stringValue: 'q"\\/\n\r\t\b\f\u0001\u001f\u007f<>&é' }] } },
    '["q\\"\\\\/\\n\\r\\t\\b\\f\\u0001\\u001f\u007f<>&é"]',
  ],
  ['U+2028 / U+2029 always escaped', av.array(av.str('a\u2028b\u2029c')), { arrayValue: { values: [{ stringValue: 'a\u2028b\u2029c' }] } }, '["a\\u2028b\\u2029c"]'],
  ['key escaping in kvlist', av.kvlist(kv('a"b<', av.str('v'))), { kvlistValue: { values: [{ key: 'a"b<', value: { stringValue: 'v' } }] } }, '{"a\\"b<":"v"}'],
  // invalid UTF-8 inside JSON: one \ufffd per bad byte (Go utf8.DecodeRune), valid sequences kept
  [
    'invalid UTF-8 in array strings',
    av.array(av.str(Uint8Array.from([0x61, 0xff, 0xe2, 0x82, 0x62, 0xed, 0xa0, 0x80, 0xf0, 0x9f, 0x98, 0x80, 0xc0, 0xaf]))),
    null,
    '["a\\ufffd\\ufffd\\ufffdb\\ufffd\\ufffd\\ufffd😀\\ufffd\\ufffd"]',
  ],
];

describe('Go-compatible attribute stringification (pcommon Value.AsString)', () => {
  for (const [name, pbValue, jsonValue, expected] of CASES) {
    it(`protobuf: ${name}`, () => {
      expect(viaProtobuf(pbValue)).toBe(expected);
    });
    if (jsonValue) {
      it(`JSON: ${name}`, () => {
        expect(viaJson(jsonValue)).toBe(expected);
      });
    }
  }

  it('JSON and protobuf rows are byte-identical for every case with a JSON form', () => {
    for (const [name, pbValue, jsonValue] of CASES) {
      if (!jsonValue) continue;
      const a = decodeTraceRequestProtobuf(oneSpanRequest(simpleSpan([kv('k', pbValue)]))).rows;
      const b = decodeTraceRequestJson(jsonRequest(jsonValue)).rows;
      expect(Buffer.compare(a, b), name).toBe(0);
    }
  });

  it('a key without a value (absent AnyValue) gives ""', () => {
    expect(readRows(decodeTraceRequestProtobuf(oneSpanRequest(simpleSpan([kv('k')]))).rows)[0].SpanAttributes).toEqual([['k', '']]);
    expect(readRows(decodeTraceRequestJson(jsonRequest(undefined)).rows)[0].SpanAttributes).toEqual([['k', '']]);
  });

  it('top-level string values are copied byte for byte, even invalid UTF-8', () => {
    const raw = Uint8Array.from([0x61, 0xff, 0x00, 0x62]);
    const rows = decodeTraceRequestProtobuf(oneSpanRequest(simpleSpan([kv('k', av.str(raw))]))).rows;
    expect(rows.includes(Buffer.from([0x04, 0x61, 0xff, 0x00, 0x62]))).toBe(true);
  });

  it('escapeHtmlInJson: true escapes < > & as Collector releases before v0.152 did', () => {
    const v = av.kvlist(kv('b', av.int(1)), kv('a<', av.str('<x>&')));
    expect(viaProtobuf(v, { escapeHtmlInJson: true })).toBe('{"a\\u003c":"\\u003cx\\u003e\\u0026","b":1}');
    expect(viaJson({ kvlistValue: { values: [{ key: 'b', value: { intValue: 1 } }, { key: 'a<', value: { stringValue: '<x>&' } }] } }, { escapeHtmlInJson: true })).toBe(
      '{"a\\u003c":"\\u003cx\\u003e\\u0026","b":1}',
    );
    // U+2028 is escaped either way
    expect(viaProtobuf(av.array(av.str('\u2028')), { escapeHtmlInJson: true })).toBe('["\\u2028"]');
  });

  it('long values (multi-byte RowBinary length prefix)', () => {
    const long = 'x'.repeat(20000);
    expect(viaProtobuf(av.str(long))).toBe(long);
    expect(viaProtobuf(av.array(av.str(long)))).toBe(`["${long}"]`);
    expect(viaProtobuf(av.bytes(new Uint8Array(300).fill(7)))).toBe(Buffer.alloc(300, 7).toString('base64'));
  });

  it('ServiceName is the stringified first service.name resource attribute', () => {
    const span = simpleSpan();
    const one = (attrs: Uint8Array[]) => readRows(decodeTraceRequestProtobuf(oneSpanRequest(span, attrs)).rows)[0];
    expect(one([kv('service.name', av.int(7))]).ServiceName).toBe('7');
    expect(one([kv('a', av.str('x')), kv('service.name', av.str('first')), kv('service.name', av.str('second'))]).ServiceName).toBe('first');
    expect(one([kv('a', av.str('x'))]).ServiceName).toBe('');
    expect(one([]).ServiceName).toBe('');
    expect(one([kv('service.name', av.kvlist(kv('b', av.str('<'))))]).ServiceName).toBe('{"b":"<"}');
  });
});
