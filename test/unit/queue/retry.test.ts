import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { TransientError } from '../../../src/errors.ts';
import { isInfrastructureError } from '../../../src/queue/retry.ts';

describe('isInfrastructureError', () => {
  it('takes a busy SQLite database for an outage', () => {
    const file = `/tmp/spw-busy-${process.pid}.sqlite`;
    const a = new SQLite(file);
    const b = new SQLite(file, { timeout: 1 });
    a.exec('create table if not exists t (x); begin exclusive');
    let caught: unknown;
    try {
      b.exec('insert into t values (1)');
    } catch (err) {
      caught = err;
    } finally {
      a.exec('commit');
      a.close();
      b.close();
    }
    expect(isInfrastructureError(caught)).toBe(true);
  });

  it('does not take a constraint violation, a bug or a site failure for an outage', () => {
    const db = new SQLite(':memory:');
    db.exec('create table t (x unique); insert into t values (1)');
    let caught: unknown;
    try {
      db.exec('insert into t values (1)');
    } catch (err) {
      caught = err;
    }
    expect(isInfrastructureError(caught)).toBe(false);
    expect(isInfrastructureError(new TypeError('x is undefined'))).toBe(false);
    expect(isInfrastructureError(new TransientError('timeout', 'slow site'))).toBe(false);
  });

  it('takes refused connections and PostgreSQL connection states for outages', () => {
    expect(isInfrastructureError(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe(true);
    const pgDown = Object.assign(new Error('terminating connection'), { code: '57P01', severity: 'FATAL' });
    expect(isInfrastructureError(pgDown)).toBe(true);
    const pgSyntax = Object.assign(new Error('syntax'), { code: '42601', severity: 'ERROR' });
    expect(isInfrastructureError(pgSyntax)).toBe(false);
  });
});
