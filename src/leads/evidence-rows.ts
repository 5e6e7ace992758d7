/** Evidence rows in the store (the same queries on SQLite and PostgreSQL); src/evidence holds the files. */
import type { Kysely } from 'kysely';
import type { Write } from './group-commit.ts';
import type { Database, EvidenceRow, PageRow } from './schema.ts';

/** What the store keeps of a capture's facts as columns (the whole facts are kept as JSON). */
interface CaptureColumns {
  payloadSha256: string;
  fetcher: string;
  capturedAt: string;
}

export interface NewCapture {
  pageId: number;
  facts: CaptureColumns;
  textSha256: string;
  warcSha256: string;
  screenshotSha256: string | null;
  /** The manifest's file list, stored as JSON. */
  files: readonly object[];
}

export interface SealUpdate {
  leadId: number;
  screenshotSha256: string | null;
  manifestSha256: string;
  sealedAt: string;
  files: readonly object[];
}

/**
 * A capture as the worker that fetched its page stored it a moment ago, with that page's site and
 * text hash: sealing it for the page's lead then reads neither back.
 */
export interface FreshCapture {
  row: EvidenceRow;
  siteId: string;
  contentHash: string | null;
}

/** Writes of one statement (see `Write`). */
const ONE = { statement: true };

/** The evidence table, reached as `store.captures`: writes go through `Store.write` (a group commit on SQLite). */
export class EvidenceRows {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly write: Write,
  ) {}

  /** True when this payload of this page (or, without `pageId`, of any page) is already captured. */
  async has(payloadSha256: string, pageId?: number): Promise<boolean> {
    let q = this.db.selectFrom('evidence').select('id').where('payload_sha256', '=', payloadSha256);
    if (pageId !== undefined) q = q.where('page_id', '=', pageId);
    return (await q.limit(1).executeTakeFirst()) !== undefined;
  }

  /** The capture of this payload of this page: its id and WARC (what the fetch side needs, not its JSON columns). */
  find(pageId: number, payloadSha256: string): Promise<Pick<EvidenceRow, 'id' | 'warc_sha256'> | undefined> {
    return this.db
      .selectFrom('evidence')
      .select(['id', 'warc_sha256'])
      .where('page_id', '=', pageId)
      .where('payload_sha256', '=', payloadSha256)
      .executeTakeFirst();
  }

  /** One capture by id. */
  get(id: number): Promise<EvidenceRow> {
    return this.db.selectFrom('evidence').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  }

  /** The page a capture is sealed for: its site and current text hash. */
  page(pageId: number): Promise<Pick<PageRow, 'id' | 'site_id' | 'content_hash'> | undefined> {
    return this.db
      .selectFrom('pages')
      .select(['id', 'site_id', 'content_hash'])
      .where('id', '=', pageId)
      .executeTakeFirst();
  }

  /** Inserts a capture; returns its row, or null when another worker inserted the same (page, payload) first. */
  insert(c: NewCapture): Promise<EvidenceRow | null> {
    return this.write(async (tx) => {
      const values = {
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
      };
      const row = await tx
        .insertInto('evidence')
        .values(values)
        .onConflict((oc) => oc.columns(['page_id', 'payload_sha256']).doNothing())
        .returning('id')
        .executeTakeFirst();
      return row ? { id: row.id, ...values } : null;
    }, ONE);
  }

  /** Notes that a later fetch returned the same payload (the capture is not repeated). */
  async touch(id: number, at: string): Promise<void> {
    await this.write(
      (tx) =>
        tx
          .updateTable('evidence')
          .set({ last_seen_at: at })
          .where('id', '=', id)
          .where('last_seen_at', '<', at)
          .execute(),
      ONE,
    );
  }

  /**
   * The capture a page's lead should be sealed from: the latest one whose extracted text is the
   * page's current text (`pages.content_hash`), else the page's latest capture.
   */
  async forPage(pageId: number, textSha256: string | null): Promise<EvidenceRow | undefined> {
    const latest = (q: ReturnType<typeof base>) =>
      q.orderBy('last_seen_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
    const base = () => this.db.selectFrom('evidence').selectAll().where('page_id', '=', pageId);
    const same = textSha256 ? await latest(base().where('text_sha256', '=', textSha256)) : undefined;
    return same ?? latest(base());
  }

  /**
   * Seals a capture for a lead. False when another worker sealed it for the same lead first (its
   * manifest stands; ours stays in the store unreferenced).
   */
  seal(id: number, s: SealUpdate): Promise<boolean> {
    return this.write(async (tx) => {
      const res = await tx
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
          eb.or([
            eb('manifest_sha256', 'is', null),
            eb('lead_id', 'is', null),
            eb('lead_id', '!=', s.leadId),
          ]),
        )
        .executeTakeFirst();
      return Number(res.numUpdatedRows) > 0;
    }, ONE);
  }

  /** A lead's sealed captures, newest first. */
  ofLead(leadId: number): Promise<EvidenceRow[]> {
    return this.db
      .selectFrom('evidence')
      .selectAll()
      .where('lead_id', '=', leadId)
      .where('manifest_sha256', 'is not', null)
      .orderBy('captured_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
  }

  /** The evidence row whose sealed manifest has this SHA-256 (to check a bundle against the store). */
  byManifest(manifestSha256: string): Promise<EvidenceRow | undefined> {
    return this.db
      .selectFrom('evidence')
      .selectAll()
      .where('manifest_sha256', '=', manifestSha256)
      .executeTakeFirst();
  }

  /** What a bundle says of its lead as of bundling: the lead, its score and reasons, and every decision on it. */
  async leadCase(leadId: number) {
    const lead = await this.db
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
    const decisions = await this.db
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
}
