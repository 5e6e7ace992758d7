import { type Candidate, PRIORITY, candidate, wordAfter } from './context.ts';
import { foldHomoglyphs, LOOKALIKES } from './deobfuscate.ts';

/**
 * Telegram: `@handle`, `t.me/handle`, `telegram.me/…`, `handle.t.me`, `tg://resolve?domain=…`,
 * invite links (`t.me/+HASH`, `t.me/joinchat/HASH`, value `+HASH`, case kept) and the obfuscated
 * forms sellers use: `@ m e f _ s h o p`, `@ mef_shop`, `t . me/…`, `t[.]me`, `t dot me`,
 * "тг: mef_kz", "телега mef_kz", "tg - mef_kz", "mef_kz (телеграм)", "mef_kz в тг", the Chinese "纸飞机：mef_kz" / "飞机 mef_kz" / "联系TG：mef_kz",
 * Cyrillic look-alike letters inside a Latin handle.
 *
 * A username is 5–32 of [a-z0-9_], starts with a letter and does not end with `_` (Telegram's
 * rules); the value is lower-case without `@`. Handles ending in `bot` are validated `syntax:bot`.
 * An `@handle` the page gives as another platform's (`Instagram: @…`, `ВК @…`, `@… (inst)`) is that
 * platform's: `instagram`, `tiktok`, `twitter` or `vk` (`platformOf`).
 */

/** Latin letters plus the Cyrillic letters that look like them, folded back by `foldHomoglyphs`. */
const HANDLE_CHARS = `A-Za-z0-9_${LOOKALIKES}`;
const AT_RE = new RegExp(
  `(?<![\\p{L}\\p{N}_@./+\\-=])@([${HANDLE_CHARS}]{5,32})(?![\\p{L}\\p{N}_@]|\\.[A-Za-z]{2,}|-)`,
  'gu',
);
/** `@ m e f _ s h o p` and `@ mef_shop`. */
const AT_SPACED_RE =
  /(?<![\p{L}\p{N}_@.])@(?: ?(?:[A-Za-z0-9_] ){4,31}[A-Za-z0-9_](?! [A-Za-z0-9_](?![\p{L}\p{N}_]))|\s{1,2}([A-Za-z][A-Za-z0-9_]{4,31}))(?![\p{L}\p{N}_@])/gu;
/** A handle's characters after its first Latin letter, Cyrillic look-alikes included (folded after). */
const HANDLE_REST = `[${HANDLE_CHARS}]{4,31}`;
const LINK_RE = new RegExp(
  '(?<![A-Za-z0-9.])(?:https?\\s?:\\s?\\/\\/\\s?)?(?:www\\.)?(t|telegram)\\s{0,2}(\\.|\\[\\.\\]|\\(\\.\\)|\\[dot\\]|\\(dot\\)|\\{dot\\}|\\sdot\\s|\\s?точка\\s?)\\s{0,2}(me|dog)\\s{0,2}\\/\\s{0,2}(?:s\\/)?' +
    `(?:(\\+|joinchat\\/)([A-Za-z0-9_-]{16,64})|([A-Za-z]${HANDLE_REST}))(?![A-Za-z0-9_\\u0400-\\u04ff])`,
  'gi',
);
const SUBDOMAIN_RE =
  /(?<![A-Za-z0-9_./@\u0400-\u04ff])([A-Za-z][A-Za-z0-9_]{4,31})\.t\.me(?![A-Za-z0-9_.])/gi;
const RESOLVE_RE = /tg:\/\/resolve\?domain=([A-Za-z][A-Za-z0-9_]{4,31})/gi;
/** The words for Telegram in the region's Latin and Cyrillic writing. */
const TELEGRAM_WORD =
  '(?:тг|tg|тлг|tlg|телега|телегу|телеге|телеграм|телеграмм|телеграме|телеграмме|telegram|telega|teleg|телеграмчик)';
/** After the word for Telegram: a separator, then the handle (`тг: mef_kz`, `tg - mef_kz2`). */
const HANDLE_AFTER_RE = new RegExp(
  `(\\s{0,3}(?:[:：\\-–—=>→|]\\s{0,3}){0,2})([A-Za-z]${HANDLE_REST})(?![\\p{L}\\p{N}_@]|\\.[A-Za-z]{2,})`,
  'uy',
);
/** The word for Telegram alone. */
const KEYWORD_ALONE_RE = new RegExp(
  `${wordAfter('[\\p{L}\\p{N}_]', TELEGRAM_WORD)}(?![\\p{L}\\p{N}_])`,
  'giu',
);
/**
 * A handle right before the word for Telegram (the end of the text read): `mef_kz (телеграм)`,
 * `mef_kz в тг`, `mef_kz - tg`, `mef_kz on telegram`. Only a handle with a digit, `_` or a bot
 * suffix is taken (`Support in Telegram`, `available on telegram` are English).
 */
const HANDLE_BEFORE_RE =
  /(?<![\p{L}\p{N}_@./:-])([A-Za-z][A-Za-z0-9_]{4,31})\s{0,2}(?:[([]\s?|[-–—:|]\s{0,2}|(?:в|во|на|in|on|via)\s{1,2})$/iu;
/** Text looked at before the word for Telegram: more than a handle and what may stand after it. */
const BEFORE_KEYWORD = 48;

/**
 * Chinese slang for Telegram before a handle: `纸飞机` / `飞机` ("(paper) plane", its logo), or `TG`
 * right after a Chinese character ("联系TG：mef_shop"), optionally `号`/`账号` ("account"), then a colon
 * (also full-width), `@`, a space or nothing. After a bare `飞机`/`TG` and only a space, the handle needs
 * a digit, `_` or a bot suffix, as for "telegram mef_kz" ("坐飞机 Boeing" is a plane). The Latin-only forms ("tg: …", "tg - …") are {@link HANDLE_AFTER_RE}'s.
 */
const CHINESE_RE =
  /(纸飞机|飞机|(?<=[\p{Script=Han}\u3000-\u303f\uff01-\uff0f\uff1a-\uff20])(?:TG|tg|Tg))(号|账号)?(\s{0,2}(?:[:：]\s{0,2}|\s)?@?\s?)([A-Za-z][A-Za-z0-9_]{4,31})(?![\p{L}\p{N}_@]|\.[A-Za-z]{2,})/gu;
/** Path segments of t.me that are not usernames. */
const RESERVED = new Set([
  'joinchat',
  'share',
  'addstickers',
  'addemoji',
  'proxy',
  'socks',
  'login',
  'setlanguage',
]);
/** Words that follow "telegram" in prose or follow `@` in code, never a seller's handle. */
const STOP = new Set([
  'media',
  'import',
  'charset',
  'keyframes',
  'supports',
  'param',
  'return',
  'returns',
  'everyone',
  'example',
  'username',
  'handle',
  'channel',
  'group',
  'account',
  'messenger',
  'desktop',
  'premium',
  'support',
  'chats',
  'contact',
  'contacts',
  'stickers',
  'official',
  'number',
  'please',
  'admin',
]);

export function extractTelegram(text: string): Candidate[] {
  const out: Candidate[] = [];
  if (text.includes('@')) {
    for (const m of text.matchAll(AT_RE)) {
      const folded = foldHomoglyphs(m[1] ?? '');
      if (folded === null) continue;
      const end = m.index + m[0].length;
      const platform = platformOf(text, m.index, end);
      if (platform !== null) {
        const v = folded.toLowerCase();
        out.push(candidate(platform, v, m.index, end, 'syntax+keyword', folded !== m[1], PRIORITY.handle));
      } else pushHandle(out, folded, m.index, end, folded !== m[1], PRIORITY.handle);
    }
    for (const m of text.matchAll(AT_SPACED_RE)) {
      const name = m[1] ?? m[0].slice(1).replace(/\s/g, '');
      pushHandle(out, name, m.index, m.index + m[0].length, true, PRIORITY.handle);
    }
  }
  for (const m of text.matchAll(LINK_RE)) {
    const [raw, , dot = '', , invite, hash, name] = m;
    const deob = dot !== '.' || /\s/.test(raw);
    const end = m.index + raw.length;
    if (invite !== undefined && hash !== undefined) {
      out.push(candidate('telegram', `+${hash}`, m.index, end, 'syntax:invite', deob, PRIORITY.telegramLink));
    } else if (name !== undefined && !RESERVED.has(name.toLowerCase())) {
      const folded = foldHomoglyphs(name);
      if (folded !== null)
        pushHandle(out, folded, m.index, end, deob || folded !== name, PRIORITY.telegramLink);
    }
  }
  if (text.includes('.t.me') || text.includes('.T.ME')) {
    for (const m of text.matchAll(SUBDOMAIN_RE)) {
      pushHandle(out, m[1] ?? '', m.index, m.index + m[0].length, false, PRIORITY.telegramLink);
    }
  }
  if (text.includes('tg://')) {
    for (const m of text.matchAll(RESOLVE_RE)) {
      pushHandle(out, m[1] ?? '', m.index, m.index + m[0].length, false, PRIORITY.telegramLink);
    }
  }
  if (/纸飞机|飞机|TG|tg|Tg/.test(text)) {
    for (const m of text.matchAll(CHINESE_RE)) {
      const [, word, account, sep = '', name = ''] = m;
      // "坐飞机 Boeing": after a bare 飞机 or TG and only a space, require a digit, `_` or a bot suffix.
      if (word !== '纸飞机' && account === undefined && !/[:：@]/.test(sep) && !/[0-9_]|bot$/i.test(name))
        continue;
      const start = m.index + m[0].length - name.length;
      pushHandle(out, name, start, start + name.length, true, PRIORITY.handle);
    }
  }
  for (const k of text.matchAll(KEYWORD_ALONE_RE)) {
    HANDLE_AFTER_RE.lastIndex = k.index + k[0].length;
    const after = HANDLE_AFTER_RE.exec(text);
    const name = after?.[2];
    // With only a space between ("telegram mef_kz"), ordinary English follows too often:
    // require a digit, an underscore or a bot suffix.
    if (
      after !== null &&
      name !== undefined &&
      (/[:：\-–—=>→|]/.test(after[1] ?? '') || /[0-9_]|bot$/i.test(name))
    ) {
      const end = HANDLE_AFTER_RE.lastIndex;
      const folded = foldHomoglyphs(name);
      if (folded !== null) pushHandle(out, folded, end - name.length, end, true, PRIORITY.handle);
      continue;
    }
    const from = Math.max(0, k.index - BEFORE_KEYWORD);
    const before = HANDLE_BEFORE_RE.exec(text.slice(from, k.index));
    const word = before?.[1];
    if (before === null || word === undefined || !/[0-9_]|bot$/i.test(word)) continue;
    pushHandle(out, word, from + before.index, from + before.index + word.length, true, PRIORITY.handle);
  }
  return out;
}

/** Another platform's name, as shops write it before a handle there: `Instagram: @…`, `инста @…`, `ВК @…`. */
const PLATFORM_WORDS: ReadonlyArray<[SocialType, string]> = [
  ['instagram', 'instagram|insta|inst|ig|инстаграмм?|инстаграме|инста|инсте|инсту|инст'],
  ['tiktok', 'tiktok|tik tok|тикток|тик ток|тиктоке'],
  ['twitter', 'twitter|x \\(twitter\\)|твиттер|твитер|твиттере'],
  ['vk', 'vk|vkontakte|вк|вконтакте|вконтакт'],
];
type SocialType = 'instagram' | 'tiktok' | 'twitter' | 'vk';
const PLATFORM_BEFORE = PLATFORM_WORDS.map(
  ([type, words]) =>
    [type, new RegExp(`(?<![\\p{L}\\p{N}])(?:${words})\\s{0,2}[:：\\-–—=>→]?\\s{0,2}$`, 'iu')] as const,
);
const PLATFORM_AFTER = PLATFORM_WORDS.map(
  ([type, words]) => [type, new RegExp(`^\\s{0,2}[(\\[]\\s?(?:${words})\\s?[)\\]]`, 'iu')] as const,
);

/**
 * The platform an `@handle` belongs to when the page names another than Telegram right before it
 * (`Instagram: @mef_shop`, `инста @mef_shop`) or in brackets right after it (`@mef_shop (inst)`); null
 * for Telegram's (the default, and `телеграм @…`). Such a handle is stored as that platform's: the same
 * name on Telegram may be someone else's.
 */
function platformOf(text: string, start: number, end: number): SocialType | null {
  const pre = text.slice(Math.max(0, start - 24), start);
  for (const [type, re] of PLATFORM_BEFORE) if (re.test(pre)) return type;
  const post = text.slice(end, end + 20);
  if (post.length > 0 && (post[0] === ' ' || post[0] === '(' || post[0] === '['))
    for (const [type, re] of PLATFORM_AFTER) if (re.test(post)) return type;
  return null;
}

/** Valid Telegram username (already folded to Latin), lower-cased; null when it breaks the rules. */
export function telegramUsername(name: string): string | null {
  const v = name.toLowerCase();
  if (!/^[a-z][a-z0-9_]{4,31}$/.test(v) || v.endsWith('_') || STOP.has(v)) return null;
  return v;
}

function pushHandle(
  out: Candidate[],
  name: string,
  start: number,
  end: number,
  deob: boolean,
  priority: number,
) {
  const v = telegramUsername(name);
  if (v === null) return;
  out.push(candidate('telegram', v, start, end, v.endsWith('bot') ? 'syntax:bot' : 'syntax', deob, priority));
}
