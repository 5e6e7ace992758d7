/**
 * The demo market's structure: every page as a model (blocks of text and links), the ground truth,
 * and the link graph a crawl from `/` follows. Rendering (render.ts) and serving (market.ts) both
 * read these models, so the link graph the tests compute is the one the server serves.
 */
import { ASIA_PAGES } from './pages-asia.ts';
import { RU_INNOCENT } from './pages-ru-innocent.ts';
import { RU_LEADS } from './pages-ru-leads.ts';
import { WORLD_PAGES } from './pages-world.ts';
import type { ContentSpec, DemoLang, DemoLink, DemoPage, DemoPageKind, SectionId } from './types.ts';

/** The demo site's name, shown in every page header. */
export const SITE_NAME = 'Базар24';

/** External link on the home page: out of scope, must never be fetched. */
export const EXTERNAL_URL = 'http://example.invalid/';

/** First page of the calendar trap (linked from `/`); each month links to the next one forever. */
export const TRAP_ENTRY = '/calendar/2026/11';

export type Block =
  | { type: 'paragraphs'; heading?: string; items: string[] }
  | { type: 'links'; heading: string; links: DemoLink[] }
  | { type: 'listing'; spec: ContentSpec }
  | { type: 'article'; spec: ContentSpec };

/** Everything needed to render one page. */
export interface PageModel {
  path: string;
  kind: DemoPageKind;
  lang: DemoLang;
  title: string;
  blocks: Block[];
}

interface Section {
  title: string;
  lang: DemoLang;
  intro: string;
  back: string;
}

const SECTIONS: Record<SectionId, Section> = {
  misc: {
    title: 'Разное',
    lang: 'ru',
    intro: 'Всё, что не подошло в другие разделы: сувениры, посуда, личные вещи.',
    back: 'На главную',
  },
  health: {
    title: 'Здоровье и красота',
    lang: 'ru',
    intro: 'Косметика, товары для здоровья и ухода за собой.',
    back: 'На главную',
  },
  home: {
    title: 'Дом и кухня',
    lang: 'ru',
    intro: 'Продукты, специи, посуда и товары для дома.',
    back: 'На главную',
  },
  jobs: {
    title: 'Работа',
    lang: 'ru',
    intro: 'Вакансии, подработка и поиск сотрудников.',
    back: 'На главную',
  },
  services: {
    title: 'Услуги',
    lang: 'ru',
    intro: 'Интернет и связь, праздники, ремонт и другие услуги.',
    back: 'На главную',
  },
  world: {
    title: 'International',
    lang: 'en',
    intro: 'Listings in English and Chinese, worldwide shipping.',
    back: 'Back to the home page',
  },
};

const SECTION_ORDER: SectionId[] = ['misc', 'health', 'home', 'jobs', 'services', 'world'];

/** All listings and articles, in a stable order. */
export const CONTENT: ContentSpec[] = [...RU_LEADS, ...RU_INNOCENT, ...ASIA_PAGES, ...WORLD_PAGES];

const CONTENT_BY_PATH = new Map(CONTENT.map((c) => [c.path, c]));

function sectionPath(id: SectionId): string {
  return `/category/${id}`;
}

/** Neutral link text for a listing: ad number, city, price — no product words. */
function listingLinkText(spec: ContentSpec): string {
  const f = spec.listing;
  return f ? `№${f.adId} · ${f.city} · ${f.price} ${f.currency}` : spec.title;
}

function listingHref(slug: string, query = ''): string {
  return `/item/${slug}${query}`;
}

function listingLink(slug: string, query = ''): DemoLink {
  const spec = CONTENT_BY_PATH.get(listingHref(slug));
  if (!spec) throw new Error(`demo: no listing ${slug}`);
  return { href: listingHref(slug, query), text: listingLinkText(spec) };
}

function homeModel(): PageModel {
  return {
    path: '/',
    kind: 'index',
    lang: 'ru',
    title: `${SITE_NAME} — доска объявлений`,
    blocks: [
      {
        type: 'paragraphs',
        items: [
          `${SITE_NAME} — бесплатная доска объявлений для Казахстана, Кыргызстана, Узбекистана и Таджикистана. Продавайте и покупайте вещи, ищите работу и услуги рядом с домом.`,
        ],
      },
      {
        type: 'links',
        heading: 'Разделы',
        links: SECTION_ORDER.map((id) => ({ href: sectionPath(id), text: SECTIONS[id].title })),
      },
      {
        type: 'links',
        heading: 'Популярное',
        links: [
          listingLink('mef-kristall-vhq', '?utm_source=tg'),
          listingLink('sol-dlya-vann'),
          listingLink('kvest-naydi-klad', '?utm_source=tg&utm_campaign=summer'),
          listingLink('hemp-tote-bag'),
        ],
      },
      {
        type: 'links',
        heading: 'Наш Telegram-канал',
        links: [{ href: '/category/misc?utm_source=tg', text: 'Новые объявления в разделе «Разное»' }],
      },
      {
        type: 'links',
        heading: 'Новости и статьи',
        links: [
          { href: '/news/izyatie-mefedrona-almaty', text: 'Происшествия: задержание в Бостандыкском районе' },
          { href: '/article/pomoshch-pri-zavisimosti', text: 'Здоровье: куда обратиться за помощью' },
          { href: '/article/apteka-retsepturnye-preparaty', text: 'Аптека: как купить рецептурный препарат' },
          { href: '/news/jindu-xuanchuan', text: '新闻：禁毒宣传' },
        ],
      },
      { type: 'links', heading: 'Календарь мероприятий', links: [{ href: TRAP_ENTRY, text: 'Ноябрь 2026' }] },
      {
        type: 'paragraphs',
        heading: 'Правила',
        items: [
          'Запрещено размещать объявления о продаже наркотиков, оружия и рецептурных лекарств. Нарушителей блокируем, объявления передаём модераторам.',
        ],
      },
      { type: 'links', heading: 'Партнёры', links: [{ href: EXTERNAL_URL, text: 'example.invalid' }] },
    ],
  };
}

function sectionModel(id: SectionId): PageModel {
  const section = SECTIONS[id];
  const items = CONTENT.filter((c) => c.listing?.section === id).sort(
    (a, b) => (a.listing?.adId ?? 0) - (b.listing?.adId ?? 0),
  );
  return {
    path: sectionPath(id),
    kind: 'category',
    lang: section.lang,
    title: `${section.title} — ${SITE_NAME}`,
    blocks: [
      { type: 'paragraphs', items: [section.intro] },
      {
        type: 'links',
        heading: section.title,
        links: items.map((c) => ({ href: c.path, text: listingLinkText(c) })),
      },
      { type: 'links', heading: '', links: [{ href: '/', text: section.back }] },
    ],
  };
}

function contentModel(spec: ContentSpec): PageModel {
  const section = spec.listing ? SECTIONS[spec.listing.section] : undefined;
  const nav: DemoLink[] = [{ href: '/', text: SITE_NAME }];
  if (spec.listing && section) nav.push({ href: sectionPath(spec.listing.section), text: section.title });
  const blocks: Block[] = [
    { type: 'links', heading: '', links: nav },
    spec.kind === 'listing' ? { type: 'listing', spec } : { type: 'article', spec },
  ];
  if (spec.links && spec.links.length > 0) blocks.push({ type: 'links', heading: '', links: spec.links });
  return { path: spec.path, kind: spec.kind, lang: spec.lang, title: spec.title, blocks };
}

const MONTHS_RU = [
  'январь',
  'февраль',
  'март',
  'апрель',
  'май',
  'июнь',
  'июль',
  'август',
  'сентябрь',
  'октябрь',
  'ноябрь',
  'декабрь',
];

function calendarPath(year: number, month: number): string {
  return `/calendar/${year}/${String(month).padStart(2, '0')}`;
}

/** A calendar month page, generated on the fly; links to the next month until year 9999. */
function calendarModel(year: number, month: number): PageModel {
  const name = `${MONTHS_RU[month - 1] ?? ''} ${year}`;
  const nextYear = month === 12 ? year + 1 : year;
  const nextMonth = month === 12 ? 1 : month + 1;
  const links: DemoLink[] = [{ href: '/', text: SITE_NAME }];
  if (nextYear <= 9999) links.push({ href: calendarPath(nextYear, nextMonth), text: 'Следующий месяц →' });
  return {
    path: calendarPath(year, month),
    kind: 'trap',
    lang: 'ru',
    title: `Календарь мероприятий — ${name}`,
    blocks: [
      {
        type: 'paragraphs',
        items: ['В этом месяце мероприятий пока нет. Следите за анонсами в нашем Telegram-канале.'],
      },
      { type: 'links', heading: '', links },
    ],
  };
}

const CALENDAR_RE = /^\/calendar\/(\d{4})\/(\d{2})$/;

/**
 * The model of the page at `path`, or `null` when the demo has no such page. A query string or
 * fragment is ignored, as the server ignores it.
 */
export function pageModel(pathWithQuery: string): PageModel | null {
  const path = pathWithQuery.replace(/[?#].*$/s, '');
  if (path === '/') return homeModel();
  const section = /^\/category\/([a-z]+)$/.exec(path)?.[1];
  if (section !== undefined && section in SECTIONS) return sectionModel(section as SectionId);
  const spec = CONTENT_BY_PATH.get(path);
  if (spec) return contentModel(spec);
  const cal = CALENDAR_RE.exec(path);
  if (cal) {
    const year = Number(cal[1]);
    const month = Number(cal[2]);
    if (year >= 2000 && month >= 1 && month <= 12) return calendarModel(year, month);
  }
  return null;
}

/** Every href on a page, in document order (the template adds no other links). */
export function pageLinks(model: PageModel): string[] {
  return model.blocks.flatMap((b) => (b.type === 'links' ? b.links.map((l) => l.href) : []));
}

function truth(model: PageModel, why: string): DemoPage {
  return { path: model.path, kind: model.kind, lang: model.lang, title: model.title, lead: false, why };
}

/** The ground truth of every page a crawl from `/` can find (the calendar trap by its first page). */
export function demoPages(): DemoPage[] {
  const pages: DemoPage[] = [
    truth(
      homeModel(),
      'Home page: sections, featured ads by number and price, news links; mentions drugs only to forbid them.',
    ),
    ...SECTION_ORDER.map((id) =>
      truth(sectionModel(id), 'Category page: neutral link text only (ad number, city, price).'),
    ),
  ];
  for (const spec of CONTENT) {
    const page: DemoPage = {
      path: spec.path,
      kind: spec.kind,
      lang: spec.lang,
      title: spec.title,
      lead: spec.label.lead,
      why: spec.label.why,
    };
    if (spec.label.leadKind) page.leadKind = spec.label.leadKind;
    if (spec.label.category) page.category = spec.label.category;
    pages.push(page);
  }
  const [, y, m] = CALENDAR_RE.exec(TRAP_ENTRY) ?? [];
  pages.push(
    truth(
      calendarModel(Number(y), Number(m)),
      'Crawler trap: an empty events calendar whose "next month" link never ends; bounded only by max depth/pages.',
    ),
  );
  return pages;
}
