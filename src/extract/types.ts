/** Listing fields pulled out by a site's selectors. Absent fields are left out. */
export interface ListingFields {
  title?: string;
  price?: string;
  currency?: string;
  seller?: string;
  description?: string;
}

export type IdentifierType =
  | 'btc'
  | 'eth'
  | 'tron'
  | 'ton'
  | 'ltc'
  | 'xmr'
  | 'card'
  | 'phone'
  | 'telegram'
  | 'instagram'
  | 'tiktok'
  | 'twitter'
  | 'vk'
  | 'session'
  | 'wickr'
  | 'threema'
  | 'wechat'
  | 'qq'
  | 'matrix'
  | 'tox'
  | 'signal'
  | 'jabber'
  | 'email'
  | 'qiwi'
  | 'yoomoney'
  | 'payeer'
  | 'perfectmoney'
  | 'pgp';

/** A payment or contact identifier found in text. */
export interface Identifier {
  type: IdentifierType;
  /** Canonical value: the key two pages must share to be linked (E.164 phone, lower-case handle, ...). */
  value: string;
  /** [start, end) offsets in the text it was found in (with `in: 'href'`, in the percent-decoded link target). */
  span: [number, number];
  /** Set to `href` when it was read from a link target (`mailto:`, `tel:`, `t.me/…`, `bitcoin:`…), not the text. */
  in?: 'href';
  /** How it was validated, e.g. `base58check`, `bech32m`, `eip55`, `luhn+iin:mir`, `libphonenumber:KZ`, `syntax`. */
  validated: string;
  /** True when it was written obfuscated (spaced letters, `t . me`, split digits) and put back together. */
  deobfuscated: boolean;
  /**
   * Set when the page shows it only inside reviews or comments (`class="review"`, `itemprop="review"`
   * and the like): a buyer's, quoted on the page, not the page's own. Kept with the page, never linked.
   */
  quoted?: true;
}

/** A fetched page turned into what the classifier and the store need. */
export interface Document {
  url: string;
  finalUrl: string;
  siteId: string;
  title: string;
  /** Visible text, whitespace collapsed, scripts and styles removed. */
  text: string;
  /** Absolute http(s) links found on the page, deduplicated, in page order. */
  links: string[];
  /** Set when the page matched the site's listing pattern or selectors. */
  listing: ListingFields | null;
  identifiers: Identifier[];
  /** Language hint from `<html lang>` or the content-language header, when present. */
  lang: string | null;
  /** Distinct links past the per-page cap (`maxLinks`), not in `links`: counted as `skipped:max-links`. */
  linksOverCap?: number;
  /** True when the page's text was cut at `MAX_TEXT_CHARS`. */
  textCut?: boolean;
}
