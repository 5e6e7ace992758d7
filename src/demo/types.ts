/**
 * Types of the bundled demo market: the ground truth every page carries and the content specs the
 * pages are rendered from.
 */

export type DemoLang = 'ru' | 'kk' | 'ky' | 'uz' | 'tg' | 'zh' | 'en';
export type DemoPageKind = 'index' | 'category' | 'listing' | 'article' | 'trap';
export type DemoLeadKind = 'sale' | 'recruitment';
export type DemoCategory = 'synthetic' | 'nps' | 'classic' | 'pharma' | 'precursor';

/** Ground truth for one page of the demo market. */
export interface DemoPage {
  /** Path on the demo server, without query: `/item/mef-kristall-vhq`. */
  path: string;
  kind: DemoPageKind;
  /** Language of the page text; also the `<html lang>` attribute. */
  lang: DemoLang;
  /** Page title (the `<title>` and the `<h1>`). */
  title: string;
  /** Whether the classifier must flag this page as a lead. */
  lead: boolean;
  /** For leads: a sale of drugs or a recruitment post for couriers (dead-drop "закладчики"). */
  leadKind?: DemoLeadKind;
  /** For leads: the category the classifier should name. Absent for recruitment posts and non-leads. */
  category?: DemoCategory;
  /** Why this page is (or is not) a lead, in one sentence for a human reader. */
  why: string;
}

/** Sections of the classifieds board; each has a category page at `/category/<id>`. */
export type SectionId = 'misc' | 'health' | 'home' | 'jobs' | 'services' | 'world';

/** A link a page carries besides the navigation the site template adds. */
export interface DemoLink {
  /** Relative or absolute href, may carry tracking parameters (`?utm_source=tg`, `?sid=…`, `?ref=…`). */
  href: string;
  text: string;
}

/** The listing fields the site's selectors pick (`.title`, `.price`, `.currency`, `.seller`, `.description`). */
export interface ListingFields {
  /** Classifieds ad number, shown in neutral link text on category pages. */
  adId: number;
  price: string;
  currency: string;
  seller: string;
  city: string;
  section: SectionId;
}

/** Ground-truth label of a content page. */
export type DemoLabel = Pick<DemoPage, 'lead' | 'why'> & {
  leadKind?: DemoLeadKind;
  category?: DemoCategory;
};

/** A listing or article, with its text and its ground truth. */
export interface ContentSpec {
  path: string;
  kind: 'listing' | 'article';
  lang: DemoLang;
  title: string;
  /** Body text, one entry per paragraph (plain text; escaped when rendered). */
  paragraphs: string[];
  label: DemoLabel;
  /** Present for listings. */
  listing?: ListingFields;
  /** Publication date (ISO `YYYY-MM-DD`) for articles. */
  date?: string;
  /** Extra links ("similar ads", "read also"), some with tracking parameters. */
  links?: DemoLink[];
}

/** Shorthand for a listing spec. */
export function listing(
  slug: string,
  lang: DemoLang,
  title: string,
  fields: ListingFields,
  paragraphs: string[],
  label: DemoLabel,
  links?: DemoLink[],
): ContentSpec {
  const spec: ContentSpec = {
    path: `/item/${slug}`,
    kind: 'listing',
    lang,
    title,
    paragraphs,
    label,
    listing: fields,
  };
  if (links) spec.links = links;
  return spec;
}

/** Shorthand for an article spec. */
export function article(
  path: string,
  lang: DemoLang,
  title: string,
  date: string,
  paragraphs: string[],
  why: string,
): ContentSpec {
  return { path, kind: 'article', lang, title, paragraphs, date, label: { lead: false, why } };
}
