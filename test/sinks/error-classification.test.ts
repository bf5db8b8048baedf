import { describe, expect, it } from 'vitest';
import { classifyDatabaseError } from '../../src/sinks/database-errors.ts';
import { classifyEmailError } from '../../src/sinks/email-errors.ts';

const withCode = (code: string, extra: object = {}) => Object.assign(new Error(`failure ${code}`), { code, ...extra });

describe('classifyDatabaseError', () => {
  it.each([
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    '57P01', // admin shutdown
    '57014', // statement timeout
    '53300', // too many connections
    '40001', // serialization failure
    '40P01', // deadlock
    '08006', // connection failure
    '28P01', // password: an operator fixes it, the event is fine
  ])('%s is retryable', (code) => {
    expect(classifyDatabaseError(withCode(code))).toMatchObject({ sink: 'database', retryable: true });
  });

  it('errors without a code (connection terminated, pool timeout) are retryable', () => {
    expect(classifyDatabaseError(new Error('Connection terminated unexpectedly')).retryable).toBe(true);
    expect(classifyDatabaseError(new Error('timeout exceeded when trying to connect')).retryable).toBe(true);
  });

  it.each(['22007', '22P02', '22021', '23502', '23514', '42P01', '21000'])('%s is permanent', (code) => {
    expect(classifyDatabaseError(withCode(code)).retryable).toBe(false);
  });

  it('keeps the code and detail, never the statement parameters', () => {
    const error = classifyDatabaseError(withCode('23502', { detail: 'Failing row contains (…)', params: ['{"huge":"body"}'] }));
    expect(error.message).toBe('database write failed (23502): failure 23502 — Failing row contains (…)');
    expect(error.cause).toBeUndefined();
  });
});

describe('classifyEmailError', () => {
  it.each([
    [{ code: 'EENVELOPE', responseCode: 451 }, true],
    [{ code: 'EMESSAGE', responseCode: 421 }, true],
    [{ code: 'ECONNECTION' }, true],
    [{ code: 'ETIMEDOUT' }, true],
    [{ code: 'ESOCKET' }, true],
    [{ code: 'EDNS' }, true],
    [{ code: 'ECONNREFUSED' }, true],
    [{ code: 'EMAXLIMIT' }, true],
    [{ code: 'EENVELOPE', responseCode: 550 }, false],
    [{ code: 'EMESSAGE', responseCode: 554 }, false],
    [{ code: 'EAUTH', responseCode: 535 }, false],
    [{ code: 'ENOAUTH' }, false],
    [{ code: 'EENVELOPE' }, false],
    [{ code: 'EMESSAGE' }, false],
  ])('%o → retryable %s', (fields, retryable) => {
    expect(classifyEmailError(Object.assign(new Error('x'), fields), [])).toMatchObject({ sink: 'email', retryable });
  });

  it('scrubs the SMTP URL and password', () => {
    const error = classifyEmailError(new Error('cannot use smtp://u:hunter2@mail/ (hunter2)'), ['smtp://u:hunter2@mail/', 'hunter2']);
    expect(error.message).not.toContain('hunter2');
  });
});
