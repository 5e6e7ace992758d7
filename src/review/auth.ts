import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { UsageError } from '../errors.ts';
import type { Analyst, Store } from '../leads/index.ts';

export type { Analyst } from '../leads/index.ts';

/** scrypt cost: N=2^15, r=8, p=1 (about 32 MiB and 50-100 ms per hash). */
const N = 1 << 15;
const R = 8;
const P = 1;
const KEYLEN = 32;

export const SESSION_TTL_MS = 12 * 3600 * 1000;
export const LOGIN_LINK_TTL_MS = 10 * 60 * 1000;

export interface Session {
  id: string;
  analyst: Analyst;
  csrf: string;
  expiresAt: string;
}

const b64 = (buf: Buffer) => buf.toString('base64url');

function scryptAsync(password: string, salt: Buffer, n: number, r: number, p: number, len: number) {
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, len, { N: n, r, p, maxmem: 256 * n * r }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** `scrypt$N$r$p$salt$hash`, salt 16 random bytes. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, N, R, P, KEYLEN);
  return `scrypt$${N}$${R}$${P}$${b64(salt)}$${b64(key)}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scryptAsync(password, Buffer.from(salt, 'base64url'), +n, +r, +p, expected.length);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A random token (32 bytes, base64url) and the SHA-256 under which it is stored. */
export function newToken(): { token: string; hash: string } {
  const token = b64(randomBytes(32));
  return { token, hash: sha256(token) };
}

export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** Compares two secrets in constant time. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const NAME = /^[\p{L}\p{N}._-]{1,64}$/u;

/** Adds an analyst (password optional: without one the account signs in only with one-time links). */
export async function addAnalyst(store: Store, name: string, password?: string): Promise<Analyst> {
  if (!NAME.test(name)) throw new UsageError(`analyst name "${name}": use 1-64 letters, digits, . _ -`);
  if (password !== undefined && password.length < 12)
    throw new UsageError('password: use at least 12 characters');
  if (await store.analysts.byName(name)) throw new UsageError(`analyst "${name}" already exists`);
  return store.analysts.insert(name, password === undefined ? null : await hashPassword(password));
}

export async function setPassword(store: Store, name: string, password: string): Promise<void> {
  if (password.length < 12) throw new UsageError('password: use at least 12 characters');
  if (!(await store.analysts.setPasswordHash(name, await hashPassword(password))))
    throw new UsageError(`no analyst "${name}"`);
}

/** Stops an analyst signing in: the account is marked disabled, its sessions and API tokens end. */
export async function disableAnalyst(store: Store, name: string): Promise<void> {
  const now = new Date().toISOString();
  const a = await store.analysts.byName(name);
  if (!a) throw new UsageError(`no analyst "${name}"`);
  await store.analysts.disable(a.id, now);
}

export async function listAnalysts(store: Store) {
  return store.analysts.list();
}

/** Hash used when the name is unknown, so a wrong name takes as long as a wrong password. */
let dummyHash: Promise<string> | undefined;

/** The analyst if the name and password match an enabled account with a password. */
export async function checkPassword(store: Store, name: string, password: string): Promise<Analyst | null> {
  const a = await store.analysts.enabled(name);
  if (!a?.password_hash) {
    dummyHash ??= hashPassword('not a password');
    await verifyPassword(password, await dummyHash);
    return null;
  }
  return (await verifyPassword(password, a.password_hash)) ? { id: a.id, name: a.name } : null;
}

/** Creates a session; returns the cookie value (only its hash is stored). */
export async function createSession(
  store: Store,
  analyst: Analyst,
): Promise<{ cookie: string; session: Session }> {
  const { token, hash } = newToken();
  const now = new Date();
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS).toISOString();
  const csrf = b64(randomBytes(32));
  await store.analysts.addSession({
    id: hash,
    analystId: analyst.id,
    csrf,
    now: now.toISOString(),
    expiresAt,
  });
  return { cookie: token, session: { id: hash, analyst, csrf, expiresAt } };
}

/** The live session of a cookie value, or null (unknown, expired, or the analyst was disabled). */
export async function sessionFromCookie(store: Store, cookie: string): Promise<Session | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(cookie)) return null;
  const row = await store.analysts.session(sha256(cookie));
  if (!row || row.expires_at <= new Date().toISOString()) return null;
  return { id: row.id, analyst: { id: row.aid, name: row.name }, csrf: row.csrf, expiresAt: row.expires_at };
}

export async function endSession(store: Store, sessionId: string): Promise<void> {
  await store.analysts.endSession(sessionId);
}

/** Creates an API token for an analyst; returns it (shown once; only its hash is stored). */
export async function createApiToken(store: Store, name: string, label = ''): Promise<string> {
  const a = await store.analysts.enabled(name);
  if (!a) throw new UsageError(`no enabled analyst "${name}"`);
  const { token, hash } = newToken();
  await store.analysts.addApiToken(a.id, hash, label);
  return `spw_${token}`;
}

export async function analystFromApiToken(store: Store, token: string): Promise<Analyst | null> {
  const raw = token.replace(/^spw_/, '');
  if (!/^[A-Za-z0-9_-]{43}$/.test(raw)) return null;
  return store.analysts.byApiToken(sha256(raw));
}

/**
 * A one-time sign-in link for an analyst: the path `/login/once?token=…`, valid once for 10 minutes.
 * Prefix it with the server's URL. Creates the analyst (without a password) when `create` is set.
 */
export async function createOneTimeLogin(
  store: Store,
  name: string,
  opts: { create?: boolean } = {},
): Promise<{ path: string; expiresAt: string; hasPassword: boolean }> {
  let a: Analyst | undefined = await store.analysts.enabled(name);
  if (!a && opts.create) a = await addAnalyst(store, name);
  if (!a) throw new UsageError(`no enabled analyst "${name}"`);
  const { token, hash } = newToken();
  const now = new Date();
  const expiresAt = new Date(now.getTime() + LOGIN_LINK_TTL_MS).toISOString();
  await store.analysts.addLoginToken(a.id, hash, now.toISOString(), expiresAt);
  return {
    path: `/login/once?token=${token}`,
    expiresAt,
    hasPassword: await store.analysts.hasPassword(a.id),
  };
}

/** Spends a one-time token: the analyst if it is unused and unexpired (and marks it used), else null. */
export async function useOneTimeLogin(store: Store, token: string): Promise<Analyst | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  return store.analysts.spendLoginToken(sha256(token), new Date().toISOString());
}
