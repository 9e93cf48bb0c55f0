import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { hashValue, maskValue, piiExpr, storedType } from './pii.ts';

describe('pii', () => {
  let db: DuckDBInstance;
  let conn: DuckDBConnection;
  before(async () => {
    db = await DuckDBInstance.create(':memory:');
    conn = await db.connect();
  });
  after(() => {
    conn.closeSync();
    db.closeSync();
  });
  const value = async (sql: string) => (await conn.runAndReadAll(`SELECT ${sql} AS v FROM (SELECT 'alice@example.com' AS email, NULL::VARCHAR AS missing, 'ab' AS short, 'Zoë-Ådne' AS accented)`)).getRowObjectsJS()[0]!.v;

  it('drop removes the column', () => {
    assert.equal(piiExpr({ name: 'email', type: 'string', pii: 'drop' }, 'email', 's'), undefined);
  });
  it('hash gives the hex sha256 of the salt and the value, as the reference does', async () => {
    assert.equal(await value(piiExpr({ name: 'email', type: 'string', pii: 'hash' }, 'email', "pep'per")!), hashValue("pep'per", 'alice@example.com'));
  });
  it('hash keeps a missing value missing', async () => {
    assert.equal(await value(piiExpr({ name: 'missing', type: 'string', pii: 'hash' }, 'missing', 'salt')!), null);
  });
  it('hash without a salt is refused', () => {
    assert.throws(() => piiExpr({ name: 'email', type: 'string', pii: 'hash' }, 'email', undefined), /MODELOPS_PII_SALT/);
  });
  it('mask keeps the last 4 characters, counted as characters', async () => {
    for (const col of ['email', 'short', 'accented']) {
      const expected = maskValue(String(await value(col)));
      assert.equal(await value(piiExpr({ name: col, type: 'string', pii: 'mask' }, col, undefined)!), expected);
    }
    assert.equal(maskValue('alice@example.com'), '.com');
    assert.equal(maskValue('Zoë-Ådne'), 'Ådne');
  });
  it('stores hashed and masked columns as strings', () => {
    assert.equal(storedType({ name: 'n', type: 'integer', pii: 'hash' }), 'string');
    assert.equal(storedType({ name: 'n', type: 'integer' }), 'integer');
  });
});
