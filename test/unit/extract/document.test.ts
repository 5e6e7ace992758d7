import { describe, expect, it } from 'vitest';
import { collapse } from '../../../src/extract/document.ts';
import { MAX_LINKS, MAX_TEXT_CHARS, parseHtml } from '../../../src/extract/index.ts';
import { base58Address, rng, toxId } from '../../fixtures/identifiers/generate.ts';

const URL = 'http://shop.test/item/7';
const parse = (html: string, extra: Partial<Parameters<typeof parseHtml>[0]> = {}) =>
  parseHtml({ html, url: URL, finalUrl: URL, siteId: 'shop', ...extra });

describe('parseHtml: title', () => {
  it('takes <title>, then og:title, then the first <h1>', () => {
    const head = '<meta property="og:title" content="OG name">';
    expect(parse(`<head><title> Мефедрон\n 1 г </title>${head}</head><h1>H</h1>`).title).toBe('Мефедрон 1 г');
    expect(parse(`<head><title> </title>${head}</head><h1>H</h1>`).title).toBe('OG name');
    expect(parse('<body><h1>First <b>one</b></h1><h1>Second</h1></body>').title).toBe('First one');
  });

  it('takes the first og:title even when it has no content', () => {
    const html = '<meta property="og:title"><meta property="og:title" content="later"><h1>H1</h1>';
    expect(parse(html).title).toBe('H1');
  });
});

describe('parseHtml: text', () => {
  it('collapses whitespace as the three replaces it stands for would', () => {
    const reference = (s: string) =>
      s
        .replaceAll('\0', '')
        .replace(/[ \t\f\v\u00a0\r]+/g, ' ')
        .replace(/ *\n[\n ]*/g, '\n')
        .trim();
    const chars = ['a', 'б', '₸', ' ', ' ', '\t', '\n', '\n', '\r', '\0', '\u00a0', '\f', '\v', '\u2003'];
    const next = rng(16);
    for (let t = 0; t < 20_000; t++) {
      let s = '';
      for (let n = Math.floor(next() * 14); n > 0; n--) s += chars[Math.floor(next() * chars.length)];
      expect(JSON.stringify(collapse(s)), JSON.stringify(s)).toBe(JSON.stringify(reference(s)));
    }
    expect(collapse(' a \t\0 b \n\n  c\0d \r\n')).toBe('a b\ncd');
  });

  it('keeps visible text with blocks on their own lines, decoding entities', () => {
    const html = `<html><head><title>T</title><style>p{color:red}</style></head><body>
      <script>var wallet = "bc1q";</script><noscript>enable js</noscript><template>hidden</template>
      <div>Купить&nbsp;мефедрон</div><p>Цена <b>1500</b>&#8381;</p><ul><li>Алматы</li><li>Астана</li></ul>
      <svg><text>drawn</text></svg></body></html>`;
    expect(parse(html).text).toBe('Купить мефедрон\nЦена 1500₽\nАлматы\nАстана');
  });

  it('reads text out of unclosed and misnested markup', () => {
    expect(parse('<div><p>one<p>two<b>three</div>four<li>five').text).toBe('one\ntwothree\nfour\nfive');
  });

  it('separates adjacent inline elements but keeps a word split by formatting whole', () => {
    const footer =
      '<footer><a href="mailto:support@tenemarket.invalid">support@tenemarket.invalid</a>' +
      '<a href="https://t.me/tenesupport">Telegram</a><!-- x --><span>PGP</span></footer>';
    expect(parse(footer).text).toBe('support@tenemarket.invalid Telegram PGP');
    expect(parse('<p><b>меф</b>едрон, <b>меф</b><i>едрон</i>, a<a>b</a> <a>c</a>\n<a>d</a></p>').text).toBe(
      'мефедрон, мефедрон, ab c\nd',
    );
  });

  it('does not glue the footer e-mail to the next link', () => {
    const html = '<footer><a href="/help">support@tenemarket.invalid</a><a href="/tg">Telegram</a></footer>';
    expect(parse(html).identifiers.map((i) => `${i.type}:${i.value}`)).toEqual([
      'email:support@tenemarket.invalid',
    ]);
  });

  it('stops the text at MAX_TEXT_CHARS but still collects the links after it', () => {
    const html = `<p>${'слово '.repeat(MAX_TEXT_CHARS / 5)}</p><a href="/after">next</a>`;
    const doc = parse(html);
    expect(doc.text.length).toBe(MAX_TEXT_CHARS);
    expect(doc.links).toEqual(['http://shop.test/after']);
  });
});

describe('parseHtml: links', () => {
  it('resolves <a> and <area> against <base>, drops fragments, non-HTTP schemes and repeats', () => {
    const html = `<head><base href="http://cdn.shop.test/dir/"><base href="/ignored/"></head><body>
      <a href="x?b=1#frag">1</a><a href="x?b=1#other">dup</a><a href="javascript:void(0)">js</a>
      <a href="mailto:a@b.test">mail</a><a>no href</a><map><area href="/map"></map>
      <a href="https://other.test/p">out</a><noscript><a href="/noscript">nojs</a></noscript></body>`;
    expect(parse(html).links).toEqual([
      'http://cdn.shop.test/dir/x?b=1',
      'http://cdn.shop.test/map',
      'https://other.test/p',
      'http://cdn.shop.test/noscript',
    ]);
  });

  it('adds a meta refresh target after the anchors, and ignores links written in scripts', () => {
    const html = `<head><meta http-equiv="Refresh" content="0; URL='/next'"></head>
      <script>document.write('<a href="/scripted">x</a>')</script><a href="/a">a</a>`;
    expect(parse(html).links).toEqual(['http://shop.test/a', 'http://shop.test/next']);
  });

  it(`keeps at most MAX_LINKS distinct links`, () => {
    const anchors = Array.from(
      { length: MAX_LINKS + 10 },
      (_, i) => `<a href="/p/${i % (MAX_LINKS + 5)}">x</a>`,
    );
    const links = parse(anchors.join('')).links;
    expect(links.length).toBe(MAX_LINKS);
    expect(links.at(-1)).toBe(`http://shop.test/p/${MAX_LINKS - 1}`);
  });
});

describe('parseHtml: language and listing fields', () => {
  it('takes the language from <html lang>, else the content-language header', () => {
    expect(parse('<html lang="KK-kz"><body>x</body></html>', { contentLanguage: 'ru' }).lang).toBe('kk-kz');
    expect(parse('<body>x</body>', { contentLanguage: 'ru, en' }).lang).toBe('ru');
    expect(parse('<body>x</body>').lang).toBeNull();
  });

  const listing = {
    urlPattern: '/item/\\d+',
    selectors: { title: 'h1.name', price: 'table tr .price', seller: 'table > tbody > tr .seller' },
  };
  const page = `<h1 class="name">Мефедрон  VHQ</h1>
    <table><tr><td class="price">1 500 ₸</td><td class="seller">chem_kz</td></tr></table>`;

  it('fills listing fields from the site selectors on pages matching the pattern', () => {
    expect(parse(page, { listing }).listing).toEqual({ title: 'Мефедрон VHQ', price: '1 500 ₸' });
    expect(
      parse(page, { listing, url: 'http://shop.test/news', finalUrl: 'http://shop.test/news' }).listing,
    ).toBeNull();
  });

  it('matches selectors against the markup as served: no <tbody> is implied', () => {
    const served = page.replace('<table>', '<table><tbody>');
    expect(parse(served, { listing }).listing?.seller).toBe('chem_kz');
    expect(parse(page, { listing }).listing?.seller).toBeUndefined();
  });
});

describe('parseHtml: identifiers from link targets', () => {
  const BTC = '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa';
  const ETH = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
  const TRON = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';
  const XMR =
    '44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A';
  const LTC = base58Address(rng(7), 0x30);
  const TOX = toxId(rng(11));
  const ids = (html: string) => parse(html).identifiers.map((i) => `${i.type}:${i.value}`);

  it('reads the footer: the mailto: address and the t.me handle behind a "Telegram" label', () => {
    const html =
      '<footer><a href="mailto:Support@TeneMarket.invalid?subject=order">write us</a>' +
      '<a href="https://t.me/tenesupport">Telegram</a></footer>';
    const doc = parse(html);
    expect(doc.text).toBe('write us Telegram');
    expect(doc.identifiers).toEqual([
      {
        type: 'email',
        value: 'support@tenemarket.invalid',
        span: [7, 33],
        validated: 'syntax',
        deobfuscated: false,
        in: 'href',
      },
      {
        type: 'telegram',
        value: 'tenesupport',
        span: [0, 24],
        validated: 'syntax',
        deobfuscated: false,
        in: 'href',
      },
    ]);
  });

  it('keeps the text occurrence (and its span) when the link names the same identifier', () => {
    const html = '<a href="mailto:support@tenemarket.invalid">support@tenemarket.invalid</a>';
    expect(parse(html).identifiers).toEqual([
      {
        type: 'email',
        value: 'support@tenemarket.invalid',
        span: [0, 26],
        validated: 'syntax',
        deobfuscated: false,
      },
    ]);
  });

  it('reads tel:, wa.me, telegram.me, tg:// and several mailto: addresses', () => {
    const html = `<a href="tel:+7-701-123-45-67">call</a><a href="https://wa.me/77051112233">WA</a>
      <a href="//telegram.me/Mef_Shop?start=1">tg</a><a href="tg://resolve?domain=almaty_24">app</a>
      <a href="mailto:a.one@mail.ru,%20b_two@proton.me">mail</a><area href="mailto:ops@jabber.ru">`;
    expect(ids(html)).toEqual([
      'phone:+77011234567',
      'phone:+77051112233',
      'telegram:mef_shop',
      'telegram:almaty_24',
      'email:a.one@mail.ru',
      'email:b_two@proton.me',
      'jabber:ops@jabber.ru',
    ]);
  });

  it("reads the phone of a messenger's chat link and the address of a block explorer's page", () => {
    const html = `<a href="viber://chat?number=%2B77051112244">Viber</a>
      <a href="https://api.whatsapp.com/send?phone=77051112255&text=hi">WhatsApp</a>
      <a href="whatsapp://send?phone=77051112299">app</a><a href="https://signal.me/#p/+77051112266">Signal</a>
      <a href="tg://msg?to=+77051112277">tg</a>
      <a href="https://matrix.to/#/@mefshop:matrix.org?via=matrix.org">Element</a>
      <a href="https://tronscan.org/#/address/${TRON}">wallet</a>
      <a href="https://etherscan.io/address/${ETH}">eth</a>
      <a href="https://www.blockchain.com/btc/address/${BTC}">btc</a>
      <a href="https://tonviewer.com/UQDKbjIcfM6ezt8KjKJJLshZJJSqX7XOA4ff-W72r5gqPuwA">ton</a>`;
    expect(ids(html)).toEqual([
      'phone:+77051112244',
      'phone:+77051112255',
      'phone:+77051112299',
      'phone:+77051112266',
      'phone:+77051112277',
      'matrix:@mefshop:matrix.org',
      `tron:${TRON}`,
      `eth:${ETH}`,
      `btc:${BTC}`,
      'ton:0:ca6e321c7cce9ecedf0a8ca2492ec8592494aa5fb5ce0387dff96ef6af982a3e',
    ]);
    // A transaction, a block or a token is no vendor's address; a short number is no phone; a room is no one.
    const other = `<a href="https://etherscan.io/tx/${ETH}">tx</a><a href="https://etherscan.io/token/${ETH}">t</a>
      <a href="https://blockchair.com/bitcoin/block/${BTC}">b</a><a href="viber://chat?number=12">v</a>
      <a href="https://api.whatsapp.com/send?text=hi">share</a><a href="https://tronscan.org/#/">home</a>
      <a href="https://matrix.to/#/#market:matrix.org">room</a><a href="https://matrix.to/">matrix</a>`;
    expect(ids(other)).toEqual([]);
  });

  it('reads payment URIs, each checked against its scheme and checksum', () => {
    const html = `<a href="bitcoin:${BTC}?amount=0.01&label=shop">pay</a>
      <a href="ethereum:pay-${ETH}@1?value=1e18">eth</a>
      <a href="ethereum:0xdAC17F958D2ee523a2206206994597C13D831ec7@1/transfer?address=${ETH.toLowerCase()}&uint256=1">usdt</a>
      <a href="monero:${XMR}?tx_amount=1">xmr</a><a href="tron:${TRON}">trx</a><a href="litecoin://${LTC}">ltc</a>
      <a href="ton://transfer/UQDKbjIcfM6ezt8KjKJJLshZJJSqX7XOA4ff-W72r5gqPuwA?amount=1000000000">ton</a>
      <a href="tox:${TOX}">qTox</a>`;
    expect(ids(html)).toEqual([
      `btc:${BTC}`,
      `eth:${ETH}`,
      `xmr:${XMR}`,
      `tron:${TRON}`,
      `ltc:${LTC}`,
      'ton:0:ca6e321c7cce9ecedf0a8ca2492ec8592494aa5fb5ce0387dff96ef6af982a3e',
      `tox:${TOX}`,
    ]);
  });

  it('reads an address a page breaks up with zero-width characters (`&#8203;`, `&zwj;`)', () => {
    const html =
      '<p>BTC: bc1qar0srrr7xfk&#8203;vy5l643lydnw9re59gtzzwf5mdq</p>' +
      '<p>TON UQDKbjIcfM6ezt8KjKJJ&zwj;LshZJJSqX7XOA4ff-W72r5gqPuwA</p>';
    expect(ids(html)).toEqual([
      'btc:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq',
      'ton:0:ca6e321c7cce9ecedf0a8ca2492ec8592494aa5fb5ce0387dff96ef6af982a3e',
    ]);
  });

  it('reads nothing from links that only look like identifiers', () => {
    const typo = `${BTC.slice(0, 10)}X${BTC.slice(11)}`;
    const html = `<a href="bitcoin:${typo}">bad checksum</a><a href="bitcoin:${LTC}">wrong coin</a>
      <a href="mailto:not-an-address">x</a><a href="mailto:a@b.test extra">x</a><a href="tel:12">x</a>
      <a href="https://t.me/share/url?url=x">share</a><a href="https://t.me/joinchat">x</a>
      <a href="https://example.test/t.me/mef_shop">not telegram</a><a href="/mailto:a@b.test">relative</a>
      <a href="mailto:%E0%A4%A">bad escape</a><a href="ethereum:0x1234">short</a>
      <a href="ton://transfer/${BTC}">wrong coin</a><a href="tox:${TOX.slice(0, 74)}${TOX.endsWith('00') ? '11' : '00'}">bad sum</a>`;
    expect(ids(html)).toEqual([]);
  });
});

describe('parseHtml: identifiers quoted in reviews and comments', () => {
  const wallet = base58Address(rng(3), 0);
  const listing = (reviews: string) =>
    `<article><h1>Мефедрон 1 г</h1><p>Продавец: @seller_one, BTC ${wallet}</p></article>${reviews}`;
  const quoted = (html: string) =>
    Object.fromEntries(parse(html).identifiers.map((i) => [i.value, i.quoted ?? false]));

  it('marks what a page shows only inside reviews or comments, by class, id or microdata', () => {
    for (const block of [
      '<div class="reviews"><p>отзыв от @buyer_x: всё пришло</p></div>',
      '<section id="comments"><p>@buyer_x спасибо</p></section>',
      '<ul class="product-review-list"><li>@buyer_x: ok</li></ul>',
      '<div itemprop="review" itemscope><span>@buyer_x</span></div>',
      '<div itemscope itemtype="https://schema.org/Comment"><p>пишите @buyer_x</p></div>',
      '<div class="otzyvy"><div><p>by <a href="https://t.me/buyer_x">@buyer_x</a></p></div></div>',
    ]) {
      expect(quoted(listing(block)), block).toEqual({ seller_one: false, [wallet]: false, buyer_x: true });
    }
  });

  it('keeps an identifier the page also shows outside them as its own, and reads links inside them as quoted', () => {
    expect(quoted(`${listing('<div class="review">@seller_one ответил: спасибо</div>')}`)).toEqual({
      seller_one: false,
      [wallet]: false,
    });
    const link = '<div class="comments"><a href="mailto:buyer@mail.test">написать</a></div>';
    expect(quoted(listing(link))).toEqual({ seller_one: false, [wallet]: false, 'buyer@mail.test': true });
  });

  it('leaves a forum thread of posts and replies alone: a post is its seller’s ad', () => {
    const html = `<div class="post"><p>продаю, пишите @seller_one</p></div><div class="reply"><p>@seller_two тоже продаёт</p></div>`;
    expect(quoted(html)).toEqual({ seller_one: false, seller_two: false });
  });

  it('keeps the text before and after a review block apart in the page’s own reading', () => {
    // Without the break, "@seller_one" and "ok" would read as one handle in the page's own text, and
    // the seller's handle as only quoted.
    const html = '<p>@seller_one<span class="review"> @buyer_x </span>ok</p>';
    expect(quoted(html)).toEqual({ seller_one: false, buyer_x: true });
  });
});
