import { describe, expect, it } from 'vitest';
import { ClickHouseError, StoreUnavailableError } from '../../store/store';
import { Backoff, classifyInsertError } from './insert-errors';

const chError = (code: string, type: string | undefined, message = 'engine error') => new ClickHouseError({ message, code, type });

describe('classifyInsertError', () => {
  it.each([
    // name and code as the engine sends them
    ['TABLE_IS_READ_ONLY', '242', 'store'],
    ['TOO_MANY_SIMULTANEOUS_QUERIES', '202', 'store'],
    ['MEMORY_LIMIT_EXCEEDED', '241', 'suspect'],
    ['TIMEOUT_EXCEEDED', '159', 'suspect'],
    ['CANNOT_PARSE_INPUT_ASSERTION_FAILED', '27', 'content'],
  ] as const)('%s (code %s) → %s', (type, code, kind) => {
    expect(classifyInsertError(chError(code, type))).toBe(kind);
  });

  it('matches by name when the code is missing or not the one payscope knows', () => {
    expect(classifyInsertError(chError('', 'TABLE_IS_READ_ONLY'))).toBe('store');
    expect(classifyInsertError(chError('0', 'MEMORY_LIMIT_EXCEEDED'))).toBe('suspect');
  });

  it('matches by code when the client could not tell the name', () => {
    expect(classifyInsertError(chError('209', undefined))).toBe('store');
    expect(classifyInsertError(chError('241', undefined))).toBe('suspect');
  });

  it('tells TOO_MANY_PARTS apart by its message: merges behind (store) or the batch\'s own partitions (content)', () => {
    expect(classifyInsertError(chError('252', 'TOO_MANY_PARTS', 'Too many parts (3001). Merges are processing significantly slower than inserts'))).toBe('store');
    expect(classifyInsertError(chError('252', 'TOO_MANY_PARTS', 'Too many partitions for single INSERT block (more than 100)'))).toBe('content');
    expect(classifyInsertError(chError('252', undefined, 'Too many partitions for single INSERT block (more than 100)'))).toBe('content');
  });

  it('an unreachable store is unwell; a vanished spool file cannot be retried', () => {
    expect(classifyInsertError(new StoreUnavailableError('ClickHouse unavailable: ECONNREFUSED'))).toBe('store');
    expect(classifyInsertError(Object.assign(new Error('gone'), { code: 'ENOENT' }))).toBe('content');
  });
});

describe('Backoff', () => {
  it('doubles from 250 ms up to 10 s, and starts over after a success', () => {
    const b = new Backoff();
    expect(Array.from({ length: 8 }, () => b.next())).toEqual([250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    b.reset();
    expect(b.next()).toBe(250);
  });
});
