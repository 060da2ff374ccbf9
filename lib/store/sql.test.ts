import { describe, expect, it } from 'vitest';
import { ident, join, render, sql, typed, UNSAFE_RAW_SQL } from './sql';

describe('sql tagged template', () => {
  it('binds every value as a typed parameter, never as text', () => {
    const hostile = "x' OR 1=1; DROP TABLE otel_traces --";
    const q = render(sql`SELECT * FROM t WHERE a = ${hostile} AND n > ${5} AND f < ${0.5} AND ok = ${true}`);
    expect(q.text).toBe('SELECT * FROM t WHERE a = {p0:String} AND n > {p1:Int64} AND f < {p2:Float64} AND ok = {p3:Bool}');
    expect(q.params).toEqual({ p0: hostile, p1: 5, p2: 0.5, p3: true });
    expect(q.text).not.toContain('DROP');
  });

  it('binds dates as epoch seconds with milliseconds, and arrays and explicit types', () => {
    const q = render(sql`${new Date(1700000000123)} ${['a', 'b']} ${typed(3, 'UInt32')}`);
    expect(q.text).toBe('{p0:DateTime64(3)} {p1:Array(String)} {p2:UInt32}');
    expect(q.params).toEqual({ p0: '1700000000.123', p1: ['a', 'b'], p2: 3 });
  });

  it('numbers parameters across nested fragments and joins', () => {
    const conds = join([sql`a = ${1}`, sql`b = ${'x'}`], ' AND ');
    const q = render(sql`SELECT ${UNSAFE_RAW_SQL('count()')} FROM t WHERE ${conds} LIMIT ${10}`);
    expect(q.text).toBe('SELECT count() FROM t WHERE a = {p0:Int64} AND b = {p1:String} LIMIT {p2:Int64}');
    expect(q.params).toEqual({ p0: 1, p1: 'x', p2: 10 });
  });

  it('takes identifiers only from the allow-list', () => {
    expect(render(sql`SELECT ${ident('ServiceName', ['ServiceName'])}`).text).toBe('SELECT `ServiceName`');
    expect(() => ident('ServiceName; DROP', ['ServiceName'])).toThrow(/not allowed/);
    expect(() => ident('SpanName', ['ServiceName'])).toThrow(/not allowed/);
  });

  it('refuses values whose type it cannot tell, and non-finite numbers', () => {
    expect(() => render(sql`${{ a: 1 }}`)).toThrow(/cannot infer/);
    expect(() => render(sql`${NaN}`)).toThrow(/non-finite/);
    expect(() => typed(1, 'UInt8;--')).toThrow(/bad parameter type/);
  });
});
