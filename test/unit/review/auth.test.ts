import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../../src/leads/index.ts';
import {
  addAnalyst,
  analystFromApiToken,
  checkPassword,
  createApiToken,
  createOneTimeLogin,
  createSession,
  hashPassword,
  sessionFromCookie,
  useOneTimeLogin,
  verifyPassword,
} from '../../../src/review/auth.ts';
import { tempDir } from '../../helpers/runtime.ts';
import { storeDb } from '../../../src/leads/store.ts';

describe('review accounts', () => {
  const dir = tempDir();
  let store: Store;
  beforeAll(async () => {
    store = await Store.open(null, dir.path);
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  it('stores passwords as salted scrypt hashes', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(await verifyPassword('x', 'garbage')).toBe(false);
  });

  it('checks passwords, refuses short ones and duplicate names', async () => {
    await addAnalyst(store, 'alice', 'correct horse battery');
    await expect(addAnalyst(store, 'alice', 'another long password')).rejects.toThrow(/already exists/);
    await expect(addAnalyst(store, 'bob', 'short')).rejects.toThrow(/12 characters/);
    await expect(addAnalyst(store, '<script>', 'correct horse battery')).rejects.toThrow(/name/);
    expect(await checkPassword(store, 'alice', 'correct horse battery')).toMatchObject({ name: 'alice' });
    expect(await checkPassword(store, 'alice', 'wrong password!!')).toBeNull();
    expect(await checkPassword(store, 'nobody', 'correct horse battery')).toBeNull();
    const row = await storeDb(store)
      .selectFrom('analysts')
      .selectAll()
      .where('name', '=', 'alice')
      .executeTakeFirstOrThrow();
    expect(row.password_hash).not.toContain('correct');
  });

  it('one-time links work once, and expire', async () => {
    const { path } = await createOneTimeLogin(store, 'carol', { create: true });
    const token = new URL(path, 'http://x').searchParams.get('token')!;
    expect(await useOneTimeLogin(store, token)).toMatchObject({ name: 'carol' });
    expect(await useOneTimeLogin(store, token)).toBeNull();
    const second = await createOneTimeLogin(store, 'carol');
    const t2 = new URL(second.path, 'http://x').searchParams.get('token')!;
    await storeDb(store)
      .updateTable('login_tokens')
      .set({ expires_at: '2000-01-01T00:00:00.000Z' })
      .where('used_at', 'is', null)
      .execute();
    expect(await useOneTimeLogin(store, t2)).toBeNull();
    await expect(createOneTimeLogin(store, 'nobody')).rejects.toThrow(/no enabled analyst/);
  });

  it('sessions and API tokens are stored hashed and end', async () => {
    const alice = (await checkPassword(store, 'alice', 'correct horse battery'))!;
    const { cookie } = await createSession(store, alice);
    expect(await sessionFromCookie(store, cookie)).toMatchObject({ analyst: { name: 'alice' } });
    const stored = await storeDb(store).selectFrom('sessions').select('id').execute();
    expect(stored.some((s) => s.id === cookie)).toBe(false);
    await storeDb(store).updateTable('sessions').set({ expires_at: '2000-01-01T00:00:00.000Z' }).execute();
    expect(await sessionFromCookie(store, cookie)).toBeNull();

    const token = await createApiToken(store, 'alice', 'test');
    expect(await analystFromApiToken(store, token)).toMatchObject({ name: 'alice' });
    expect(await analystFromApiToken(store, `${token}x`)).toBeNull();
    await storeDb(store)
      .updateTable('analysts')
      .set({ disabled_at: new Date().toISOString() })
      .where('name', '=', 'alice')
      .execute();
    expect(await analystFromApiToken(store, token)).toBeNull();
  });
});
