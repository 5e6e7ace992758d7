import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { sha256 } from '@noble/hashes/sha2.js';
import { createBase58check } from '@scure/base';

export interface GeneratedSite {
  url: string;
  close(): Promise<void>;
  /** Requests served, by path. */
  hits: Map<string, number>;
  /** Every request in arrival order: its path and arrival time (ms since epoch). */
  requests: Array<{ path: string; at: number }>;
  /** Every page path of the site. */
  paths: string[];
  /** Sale listings, and the vendors that have at least one (with `leadShare`). */
  leads: number;
  vendors: number;
}

export interface GeneratedSiteOptions {
  /** Listing pages (`/item/<n>`); they hang off `/page/<k>` index pages of 50. */
  listings: number;
  /** Delay before each response (ms). */
  delayMs?: number;
  /** Extra links per listing to other listings (a denser graph). */
  linksPerListing?: number;
  /** Approximate size of each listing's body text (bytes). */
  bodyBytes?: number;
  /** Every n-th listing sells mephedrone (a lead); the others sell furniture. 0: none. */
  leadEvery?: number;
  /** Scripts each listing loads from the site (`/js/<k>.js`): requests a browser render makes itself. */
  scripts?: number;
  /**
   * A real market instead: this share of listings are sales (spread over the site), each naming its
   * vendor's Telegram handle and Bitcoin wallet; a vendor has `vendorSize` consecutive listings (default
   * 50). Overrides `leadEvery`.
   */
  leadShare?: number;
  vendorSize?: number;
  /** Every page ends with the market's support e-mail (`mailto:`) and Telegram link, as real markets do. */
  footer?: boolean;
  /**
   * Listings written as sellers write them: the body drawn from a pool of sentences (a shop's for a
   * sale, a furniture seller's for an ordinary listing: a sofa is not sold in "discreet parcels"),
   * with an article code and buyers' reviews (masked names, dates, order numbers), so a page brings words no other
   * page has, as real ones do. Without it every body repeats one sentence: twenty words for the
   * whole site, all in the classifier's memos after the first page.
   */
  varied?: boolean;
}

/** A valid legacy Bitcoin address (base58check, version 0) for vendor `v`. */
export function vendorWallet(v: number): string {
  const hash160 = sha256(new TextEncoder().encode(`vendor-${v}`)).slice(0, 20);
  return base58check.encode(Uint8Array.from([0, ...hash160]));
}
const base58check = createBase58check(sha256);

export const FOOTER_EMAIL = 'support@tenemarket.invalid';
const FOOTER = `<footer>Поддержка: <a href="mailto:${FOOTER_EMAIL}">${FOOTER_EMAIL}</a><a href="https://t.me/tenemarket_support">Telegram</a></footer>`;

const FILLER =
  'Доставка по городу в течение дня. Состояние отличное, без дефектов. Самовывоз возможен. Пишите в личные сообщения. ';

const SENTENCES = [
  'Доставка по городу в течение дня.',
  'Состояние отличное, без дефектов.',
  'Самовывоз возможен после шести вечера.',
  'Пишите в личные сообщения, отвечаю быстро.',
  'Упаковка надёжная, отправка в день оплаты.',
  'Работаем без выходных, заказы принимаются круглосуточно.',
  'Постоянным покупателям скидка и бонусы.',
  'Перед отправкой всё проверяется и фотографируется.',
  'Качество проверено временем, претензий не было.',
  'Возможна отправка в соседние города почтой.',
  'Цена указана за единицу, опт обсуждается отдельно.',
  'Если товар не подошёл, решим вопрос спокойно.',
  'Фото реальные, сделаны сегодня утром.',
  'Новая партия пришла на этой неделе.',
  'Отзывы можно посмотреть в профиле магазина.',
  'Курьер позвонит за час до приезда.',
  'Оплата после подтверждения заказа.',
  'Остатки ограничены, успевайте.',
  'Все вопросы по наличию уточняйте заранее.',
  'Гарантия магазина на каждую позицию.',
  'Жеткізу қала бойынша бір күн ішінде.',
  'Sifati yaxshi, yetkazib berish tez.',
  'Fast delivery, careful packing, discreet parcel.',
  'Сапаты жакшы, жеткирүү тез.',
];
/** What a seller of furniture writes: the ordinary listings of a `varied` site. */
const GOODS_SENTENCES = [
  'Диван в хорошем состоянии, без пятен и потёртостей.',
  'Размеры 210 на 95 сантиметров, раскладывается.',
  'Стол из массива дуба, ножки складные.',
  'Продаю в связи с переездом.',
  'Самовывоз с третьего этажа, лифт есть.',
  'Торг уместен при осмотре.',
  'Цвет серый, обивка велюр.',
  'Доставка по городу за отдельную плату.',
  'Пишите в личные сообщения, отвечаю быстро.',
  'Фото реальные, сделаны сегодня утром.',
  'Механизм еврокнижка, всё работает.',
  'Покупали два года назад, пользовались аккуратно.',
  'В комплекте четыре стула.',
  'Можно посмотреть вечером после шести.',
  'Диван жақсы күйде, жеткізу бар.',
  'Divan yaxshi holatda, narxi kelishiladi.',
  'Sofa in good condition, pickup only.',
  'Диван жакшы абалда, алып кетүү.',
];
const LETTERS = 'абвгдежзиклмнопрстуфэюя';
const REVIEWS = [
  'всё пришло вовремя, рекомендую',
  'продавец на связи, спасибо',
  'упаковка целая, качество как в описании',
  'второй раз беру, всё отлично',
  'немного задержали, но в итоге норм',
  'быстро ответили и отправили',
  'лучший магазин в городе',
  'всё чётко, без вопросов',
];

/**
 * A listing body of about `bytes`: sentences of `pool` (a shop's for a sale, a furniture seller's
 * for an ordinary listing) with an article code, and buyers' reviews with dates and order numbers,
 * which the page shows in a block of their own, as markets do.
 */
function variedBody(n: number, bytes: number, pool: readonly string[]): { text: string; reviews: string } {
  let h = Math.imul(n + 1, 0x9e3779b1) >>> 0;
  const next = () => {
    h = (Math.imul(h ^ (h >>> 15), 0x85ebca6b) + 0x6b43a9b5) >>> 0;
    return h;
  };
  const code = (len: number) => next().toString(36).padStart(len, '0').slice(-len).toUpperCase();
  let text = `Артикул ${code(6)}-${code(4)}. `;
  let reviews = '';
  while (text.length + reviews.length < bytes) {
    if (next() % 3 === 0) {
      const day = 1 + (next() % 28);
      const month = 1 + (next() % 12);
      // Reviewers' names masked, as markets show them (a handle would be an identifier of the page).
      const name = `${LETTERS[next() % LETTERS.length]}***${LETTERS[next() % LETTERS.length]}`;
      reviews += `<p>${day}.${month}.2026 отзыв от ${name} о заказе №${100_000 + (next() % 900_000)}: ${REVIEWS[next() % REVIEWS.length]}.</p>`;
    } else text += `${pool[next() % pool.length]} `;
  }
  return { text, reviews };
}

/** A generated shop on 127.0.0.1: `/` → `/page/<k>` → `/item/<n>`, deterministic, for crawl and fault tests. */
export async function startGeneratedSite(opts: GeneratedSiteOptions): Promise<GeneratedSite> {
  const {
    listings,
    delayMs = 0,
    linksPerListing = 0,
    bodyBytes = 600,
    leadEvery = 0,
    scripts = 0,
    leadShare,
    vendorSize = 50,
    footer = false,
    varied = false,
  } = opts;
  // Which listings sell: every n-th, or a share spread over the site (a fixed stride modulo 100).
  const isLead = (n: number) =>
    leadShare !== undefined
      ? (n * 37) % 100 < Math.round(leadShare * 100)
      : leadEvery > 0 && n % leadEvery === 0;
  const scriptTags = Array.from({ length: scripts }, (_, k) => `<script src="/js/${k}.js"></script>`).join(
    '',
  );
  const perPage = 50;
  const pageCount = Math.ceil(listings / perPage);
  const hits = new Map<string, number>();
  const requests: Array<{ path: string; at: number }> = [];
  const paths = [
    '/',
    ...Array.from({ length: pageCount }, (_, k) => `/page/${k}`),
    ...Array.from({ length: listings }, (_, n) => `/item/${n}`),
  ];
  const leadListings = Array.from({ length: listings }, (_, n) => n).filter(isLead);
  const repeated = FILLER.repeat(Math.ceil(bodyBytes / FILLER.length)).slice(0, bodyBytes);
  const body = (n: number) =>
    varied
      ? variedBody(n, bodyBytes, isLead(n) ? SENTENCES : GOODS_SENTENCES)
      : { text: repeated, reviews: '' };

  const render = (path: string): string | null => {
    if (path === '/') {
      return page(
        'Shop',
        Array.from({ length: pageCount }, (_, k) => `<a href="/page/${k}">Page ${k}</a>`).join('\n'),
      );
    }
    let m = /^\/page\/(\d+)$/.exec(path);
    if (m) {
      const k = Number(m[1]);
      if (k >= pageCount) return null;
      const items = [];
      for (let n = k * perPage; n < Math.min(listings, (k + 1) * perPage); n++)
        items.push(`<a href="/item/${n}">Item ${n}</a>`);
      return page(`Page ${k}`, items.join('\n'));
    }
    m = /^\/item\/(\d+)$/.exec(path);
    if (m) {
      const n = Number(m[1]);
      if (n >= listings) return null;
      const lead = isLead(n);
      const v = Math.floor(n / vendorSize);
      const { text: filler, reviews } = body(n);
      const text = !lead
        ? `Продаю диван и стол, ${n} тысяч тенге. ${filler}`
        : leadShare !== undefined
          ? `Мефедрон кристалл ${1 + (n % 5)}г — ${3500 + (n % 7) * 500}₽, закладки по городу. Продавец: телеграм @vendor_${v}, оплата BTC ${vendorWallet(v)}. ${filler}`
          : `Мефедрон кристалл 1г — 3500₽, закладки по городу, пишите в телеграм @mef_shop_${Math.floor(n / leadEvery) % 5}. ${filler}`;
      const links = Array.from(
        { length: linksPerListing },
        (_, j) => `<a href="/item/${(n * 7 + j * 13 + 1) % listings}">see also</a>`,
      );
      return page(
        `Item ${n}`,
        `${scriptTags}<article class="listing"><h1 class="title">Item ${n}</h1><div class="description">${text}</div></article>${reviews ? `<div class="reviews">${reviews}</div>` : ''}${links.join('\n')}`,
      );
    }
    return null;
  };

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    requests.push({ path, at: Date.now() });
    const send = () => {
      if (/^\/js\/\d+\.js$/.test(path)) {
        res.writeHead(200, { 'content-type': 'application/javascript' }).end('window.seen = 1;');
        return;
      }
      const rendered = render(path);
      const body = rendered !== null && footer ? rendered.replace('</body>', `${FOOTER}</body>`) : rendered;
      if (body === null) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
    };
    if (delayMs > 0) setTimeout(send, delayMs);
    else send();
  });
  server.keepAliveTimeout = 5000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    hits,
    requests,
    paths,
    leads: leadListings.length,
    vendors: new Set(leadListings.map((n) => Math.floor(n / vendorSize))).size,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;
}
