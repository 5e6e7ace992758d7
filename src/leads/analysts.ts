/** Analysts' accounts, sessions and tokens in the store; src/review hashes the secrets and decides who signs in. */
import type { Kysely } from 'kysely';
import type { Write } from './group-commit.ts';
import type { Database } from './schema.ts';

/** A signed-in analyst. */
export interface Analyst {
  id: number;
  name: string;
}

/**
 * The analysts' tables, reached as `store.analysts`. Tokens and cookies are stored only as hashes.
 * Writes go through `Store.write` (a group commit on SQLite).
 */
export class Analysts {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly write: Write,
  ) {}

  /** The analyst of this name (enabled or not). */
  byName(name: string): Promise<{ id: number } | undefined> {
    return this.db.selectFrom('analysts').select('id').where('name', '=', name).executeTakeFirst();
  }

  /** An enabled analyst of this name, with the password hash (null: signs in only with one-time links). */
  enabled(name: string) {
    return this.db
      .selectFrom('analysts')
      .select(['id', 'name', 'password_hash'])
      .where('name', '=', name)
      .where('disabled_at', 'is', null)
      .executeTakeFirst();
  }

  insert(name: string, passwordHash: string | null): Promise<Analyst> {
    return this.write((tx) =>
      tx
        .insertInto('analysts')
        .values({
          name,
          password_hash: passwordHash,
          created_at: new Date().toISOString(),
          disabled_at: null,
        })
        .returning(['id', 'name'])
        .executeTakeFirstOrThrow(),
    );
  }

  /** False when there is no analyst of this name. */
  async setPasswordHash(name: string, passwordHash: string): Promise<boolean> {
    const r = await this.write((tx) =>
      tx
        .updateTable('analysts')
        .set({ password_hash: passwordHash })
        .where('name', '=', name)
        .executeTakeFirst(),
    );
    return Boolean(r.numUpdatedRows);
  }

  /** Marks the analyst disabled and ends its sessions and API tokens, in one transaction. */
  async disable(id: number, now: string): Promise<void> {
    await this.write(async (tx) => {
      await tx.updateTable('analysts').set({ disabled_at: now }).where('id', '=', id).execute();
      await tx.deleteFrom('sessions').where('analyst_id', '=', id).execute();
      await tx
        .updateTable('api_tokens')
        .set({ revoked_at: now })
        .where('analyst_id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
    });
  }

  async list() {
    const rows = await this.db
      .selectFrom('analysts')
      .select(['id', 'name', 'created_at', 'disabled_at', 'password_hash'])
      .orderBy('name')
      .execute();
    return rows.map(({ password_hash, ...r }) => ({ ...r, hasPassword: password_hash !== null }));
  }

  async hasPassword(id: number): Promise<boolean> {
    const row = await this.db
      .selectFrom('analysts')
      .select('password_hash')
      .where('id', '=', id)
      .executeTakeFirst();
    return Boolean(row?.password_hash);
  }

  /** Stores a session under the hash of its cookie; expired sessions go at the same time (the table stays small). */
  async addSession(s: { id: string; analystId: number; csrf: string; now: string; expiresAt: string }) {
    await this.write(async (tx) => {
      await tx
        .insertInto('sessions')
        .values({
          id: s.id,
          analyst_id: s.analystId,
          csrf: s.csrf,
          created_at: s.now,
          expires_at: s.expiresAt,
          last_seen_at: s.now,
        })
        .execute();
      await tx.deleteFrom('sessions').where('expires_at', '<', s.now).execute();
    });
  }

  /** The session stored under this hash, with its analyst, when the analyst is enabled (expired or not). */
  session(id: string) {
    return this.db
      .selectFrom('sessions')
      .innerJoin('analysts', 'analysts.id', 'sessions.analyst_id')
      .select(['sessions.id', 'sessions.csrf', 'sessions.expires_at', 'analysts.id as aid', 'analysts.name'])
      .where('sessions.id', '=', id)
      .where('analysts.disabled_at', 'is', null)
      .executeTakeFirst();
  }

  async endSession(id: string): Promise<void> {
    await this.write((tx) => tx.deleteFrom('sessions').where('id', '=', id).execute());
  }

  async addApiToken(analystId: number, tokenHash: string, label: string): Promise<void> {
    await this.write((tx) =>
      tx
        .insertInto('api_tokens')
        .values({
          analyst_id: analystId,
          token_hash: tokenHash,
          label,
          created_at: new Date().toISOString(),
          last_used_at: null,
          revoked_at: null,
        })
        .execute(),
    );
  }

  /** The enabled analyst of an unrevoked API token (by its hash), noting the token's use; null when none. */
  async byApiToken(tokenHash: string): Promise<Analyst | null> {
    const row = await this.db
      .selectFrom('api_tokens')
      .innerJoin('analysts', 'analysts.id', 'api_tokens.analyst_id')
      .select(['api_tokens.id as tid', 'analysts.id', 'analysts.name'])
      .where('api_tokens.token_hash', '=', tokenHash)
      .where('api_tokens.revoked_at', 'is', null)
      .where('analysts.disabled_at', 'is', null)
      .executeTakeFirst();
    if (!row) return null;
    await this.write((tx) =>
      tx
        .updateTable('api_tokens')
        .set({ last_used_at: new Date().toISOString() })
        .where('id', '=', row.tid)
        .execute(),
    );
    return { id: row.id, name: row.name };
  }

  async addLoginToken(analystId: number, tokenHash: string, now: string, expiresAt: string): Promise<void> {
    await this.write((tx) =>
      tx
        .insertInto('login_tokens')
        .values({
          token_hash: tokenHash,
          analyst_id: analystId,
          created_at: now,
          expires_at: expiresAt,
          used_at: null,
        })
        .execute(),
    );
  }

  /** Spends a one-time token (by its hash): its enabled analyst if it was unused and unexpired, else null. */
  async spendLoginToken(tokenHash: string, now: string): Promise<Analyst | null> {
    const spent = await this.write((tx) =>
      tx
        .updateTable('login_tokens')
        .set({ used_at: now })
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .returning('analyst_id')
        .executeTakeFirst(),
    );
    if (!spent) return null;
    const a = await this.db
      .selectFrom('analysts')
      .select(['id', 'name'])
      .where('id', '=', spent.analyst_id)
      .where('disabled_at', 'is', null)
      .executeTakeFirst();
    return a ?? null;
  }
}
