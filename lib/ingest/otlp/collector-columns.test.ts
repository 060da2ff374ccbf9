/**
 * Columns the Collector's clickhouseexporter derives rather than copies, checked in both decoders:
 * ServiceName is internal.GetServiceName, i.e. pcommon Map.Get("service.name") (the first entry with
 * that key) then Value.AsString(); ids go through traceutil.*IDToHexOrEmptyString ('' for all zeros).
 */
import { describe, expect, it } from 'vitest';
import { decodeTraceRequestJson, decodeTraceRequestProtobuf } from './index';
import { av, hex, kv, linkMsg, oneSpanRequest, simpleSpan } from './testing/pb';
import { readRows, type SpanRow } from './testing/rowbinary-reader';

const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';

function jsonRow(resourceAttrs: unknown[], span: Record<string, unknown> = {}): SpanRow {
  const body = JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: resourceAttrs },
        scopeSpans: [
          {
            spans: [
              {
                traceId: '0102030405060708090a0b0c0d0e0f10',
                spanId: '1112131415161718',
                name: 'op',
                startTimeUnixNano: '1700000000000000000',
                endTimeUnixNano: '1700000000250000000',
                ...span,
              },
            ],
          },
        ],
      },
    ],
  });
  return readRows(decodeTraceRequestJson(body).rows)[0];
}

function pbRow(resourceAttrs: Uint8Array[], span: Uint8Array = simpleSpan()): SpanRow {
  return readRows(decodeTraceRequestProtobuf(oneSpanRequest(span, resourceAttrs)).rows)[0];
}

describe('ServiceName as the Collector derives it', () => {
  it('the first service.name wins when a resource repeats the key (Map.Get)', () => {
    expect(pbRow([kv('service.name', av.str('first')), kv('service.name', av.str('second'))]).ServiceName).toBe('first');
    expect(
      jsonRow([
        { key: 'service.name', value: { stringValue: 'first' } },
        { key: 'service.name', value: { stringValue: 'second' } },
      ]).ServiceName,
    ).toBe('first');
  });

  it('a non-string service.name is its AsString(); no service.name is empty', () => {
    expect(pbRow([kv('service.name', av.int(42))]).ServiceName).toBe('42');
    expect(jsonRow([{ key: 'service.name', value: { intValue: '42' } }]).ServiceName).toBe('42');
    expect(pbRow([kv('service.name', av.bool(true))]).ServiceName).toBe('true');
    expect(jsonRow([{ key: 'service.name', value: { doubleValue: 1.5 } }]).ServiceName).toBe('1.5');
    expect(pbRow([kv('host.name', av.str('h'))]).ServiceName).toBe('');
    expect(jsonRow([]).ServiceName).toBe('');
  });
});

describe('ids as the Collector writes them', () => {
  it('an all-zero parent and link ids are written as empty strings', () => {
    const pb = pbRow(
      [kv('service.name', av.str('s'))],
      simpleSpan([], { parentSpanId: hex(ZERO_SPAN), links: [linkMsg(hex(ZERO_TRACE), hex(ZERO_SPAN))] }),
    );
    const js = jsonRow([{ key: 'service.name', value: { stringValue: 's' } }], {
      parentSpanId: ZERO_SPAN,
      links: [{ traceId: ZERO_TRACE, spanId: ZERO_SPAN }],
    });
    for (const row of [pb, js]) {
      expect([row.ParentSpanId, row.LinksTraceId, row.LinksSpanId]).toEqual(['', [''], ['']]);
    }
  });
});
