/** Evidence rows in the store (kysely; the same queries on SQLite and PostgreSQL). */
import type { Kysely } from 'kysely';
import type { Database, EvidenceRow } from '../leads/index.ts';
import type { CaptureFacts } from './capture.ts';
import type { ManifestFile } from './manifest.ts';

/** True when this payload of this page (or, without `pageId`, of any page) is already captured. */
export async function hasEvidenceFor(
  db: Kysely<Database>,
  payloadSha256: string,
  pageId?: number,
): Promise<boolean> {
  let q = db.selectFrom('evidence').select('id').where('payload_sha256', '=', payloadSha256);
  if (pageId !== undefined) q = q.where('page_id', '=', pageId);
  return (await q.limit(1).executeTakeFirst()) !== undefined;
}

/** The capture of this payload of this page: its id and WARC (what the fetch side needs, not its JSON columns). */
export function findCapture(
  db: Kysely<Database>,
  pageId: number,
  payloadSha256: string,
): Promise<Pick<EvidenceRow, 'id' | 'warc_sha256'> | undefined> {
  return db
    .selectFrom('evidence')
    .select(['id', 'warc_sha256'])
    .where('page_id', '=', pageId)
    .where('payload_sha256', '=', payloadSha256)
    .executeTakeFirst();
}

export interface NewCapture {
  pageId: number;
  facts: CaptureFacts;
  textSha256: string;
  warcSha256: string;
  screenshotSha256: string | null;
  files: ManifestFile[];
}

/** Inserts a capture; returns its id, or null when another worker inserted the same (page, payload) first. */
export async function insertCapture(db: Kysely<Database>, c: NewCapture): Promise<number | null> {
  const row = await db
    .insertInto('evidence')
    .values({
      page_id: c.pageId,
      lead_id: null,
      payload_sha256: c.facts.payloadSha256,
      text_sha256: c.textSha256,
      fetcher: c.facts.fetcher,
      captured_at: c.facts.capturedAt,
      last_seen_at: c.facts.capturedAt,
      facts: JSON.stringify(c.facts),
      warc_sha256: c.warcSha256,
      screenshot_sha256: c.screenshotSha256,
      manifest_sha256: null,
      sealed_at: null,
      files: JSON.stringify(c.files),
    })
    .onConflict((oc) => oc.columns(['page_id', 'payload_sha256']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return row?.id ?? null;
}

/** Notes that a later fetch returned the same payload (the capture is not repeated). */
export async function touchCapture(db: Kysely<Database>, id: number, at: string): Promise<void> {
  await db
    .updateTable('evidence')
    .set({ last_seen_at: at })
    .where('id', '=', id)
    .where('last_seen_at', '<', at)
    .execute();
}

/**
 * The capture a page's lead should be sealed from: the latest one whose extracted text is the
 * page's current text (`pages.content_hash`), else the page's latest capture.
 */
export async function captureForPage(
  db: Kysely<Database>,
  pageId: number,
  textSha256: string | null,
): Promise<EvidenceRow | undefined> {
  const latest = (q: ReturnType<typeof base>) =>
    q.orderBy('last_seen_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
  const base = () => db.selectFrom('evidence').selectAll().where('page_id', '=', pageId);
  const same = textSha256 ? await latest(base().where('text_sha256', '=', textSha256)) : undefined;
  return same ?? latest(base());
}

export interface SealUpdate {
  leadId: number;
  screenshotSha256: string | null;
  manifestSha256: string;
  sealedAt: string;
  files: ManifestFile[];
}

/**
 * Seals a capture for a lead. False when another worker sealed it for the same lead first (its
 * manifest stands; ours stays in the store unreferenced).
 */
export async function sealCapture(db: Kysely<Database>, id: number, s: SealUpdate): Promise<boolean> {
  const res = await db
    .updateTable('evidence')
    .set({
      lead_id: s.leadId,
      screenshot_sha256: s.screenshotSha256,
      manifest_sha256: s.manifestSha256,
      sealed_at: s.sealedAt,
      files: JSON.stringify(s.files),
    })
    .where('id', '=', id)
    .where((eb) =>
      eb.or([eb('manifest_sha256', 'is', null), eb('lead_id', 'is', null), eb('lead_id', '!=', s.leadId)]),
    )
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** A lead's sealed captures, newest first. */
export function evidenceForLead(db: Kysely<Database>, leadId: number): Promise<EvidenceRow[]> {
  return db
    .selectFrom('evidence')
    .selectAll()
    .where('lead_id', '=', leadId)
    .where('manifest_sha256', 'is not', null)
    .orderBy('captured_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
}

/** The evidence row whose sealed manifest has this SHA-256 (to check a bundle against the store). */
export function evidenceByManifest(
  db: Kysely<Database>,
  manifestSha256: string,
): Promise<EvidenceRow | undefined> {
  return db
    .selectFrom('evidence')
    .selectAll()
    .where('manifest_sha256', '=', manifestSha256)
    .executeTakeFirst();
}

/** What a bundle says of its lead as of bundling: the lead, its score and reasons, and every decision on it. */
export async function leadCase(db: Kysely<Database>, leadId: number) {
  const lead = await db
    .selectFrom('leads')
    .select([
      'id',
      'site_id',
      'url',
      'title',
      'status',
      'score',
      'kind',
      'category',
      'substances',
      'reasons',
      'lexicon_version',
    ])
    .where('id', '=', leadId)
    .executeTakeFirst();
  if (!lead) return null;
  const decisions = await db
    .selectFrom('audit')
    .select(['at', 'analyst', 'action', 'note', 'detail'])
    .where('lead_id', '=', leadId)
    .where('action', 'in', ['confirm', 'dismiss', 'escalate', 'undo', 'claim'])
    .orderBy('id')
    .execute();
  const parse = (s: string | null) => {
    try {
      return s ? (JSON.parse(s) as unknown) : null;
    } catch {
      return s;
    }
  };
  const { reasons, ...rest } = lead;
  return {
    lead: { ...rest, substances: parse(lead.substances) },
    reasons: parse(reasons),
    decisions: decisions.map((d) => ({ ...d, detail: parse(d.detail) })),
  };
}
