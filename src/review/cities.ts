/**
 * Cities of the region and its markets, as listings name them (Cyrillic, Latin, Chinese), for the
 * lead's "city" field: the first one named in its title or text. Each pattern is a word start, so
 * Russian case endings (`в Алматы`, `по Москве`) match too.
 */
const CITIES: Array<[city: string, forms: string[]]> = [
  ['Almaty', ['алмат', 'almaty', 'алма-ат']],
  ['Astana', ['астан', 'astana', 'нур-султан', 'nur-sultan']],
  ['Shymkent', ['шымкент', 'чимкент', 'shymkent']],
  ['Karaganda', ['караганд', 'қарағанд', 'karaganda']],
  ['Aktobe', ['актобе', 'ақтөбе', 'aktobe']],
  ['Pavlodar', ['павлодар', 'pavlodar']],
  ['Oskemen', ['усть-каменогорск', 'өскемен', 'oskemen']],
  ['Taraz', ['тараз', 'taraz']],
  ['Atyrau', ['атырау', 'atyrau']],
  ['Kostanay', ['костана', 'қостанай', 'kostanay']],
  ['Bishkek', ['бишкек', 'bishkek']],
  ['Osh', ['ош ', 'osh ']],
  ['Tashkent', ['ташкент', 'тошкент', 'tashkent', 'toshkent']],
  ['Samarkand', ['самарканд', 'самарқанд', 'samarkand', 'samarqand']],
  ['Bukhara', ['бухар', 'buxoro', 'bukhara']],
  ['Namangan', ['наманган', 'namangan']],
  ['Andijan', ['андижан', 'андижон', 'andijan', 'andijon']],
  ['Fergana', ['фергана', 'фарғона', 'fergana', "farg'ona"]],
  ['Dushanbe', ['душанбе', 'dushanbe']],
  ['Khujand', ['худжанд', 'хуҷанд', 'khujand']],
  ['Moscow', ['москв', 'moscow']],
  ['Saint Petersburg', ['санкт-петербург', 'питер', 'спб', 'petersburg']],
  ['Novosibirsk', ['новосибирск', 'novosibirsk']],
  ['Yekaterinburg', ['екатеринбург', 'yekaterinburg']],
  ['Omsk', ['омск', 'omsk']],
  ['Urumqi', ['乌鲁木齐', 'урумчи', 'urumqi']],
  ['Beijing', ['北京', 'beijing']],
  ['Shanghai', ['上海', 'shanghai']],
  ['Guangzhou', ['广州', 'guangzhou']],
  ['Shenzhen', ['深圳', 'shenzhen']],
];

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const BY_FORM = new Map(CITIES.flatMap(([city, forms]) => forms.map((f) => [f.trim(), city] as const)));
// A word start (no letter before); a form written with a trailing space is a whole word (`ош `, not
// `ошибка`); Chinese has no word breaks, so its names match anywhere.
const PATTERN = new RegExp(
  `(?<!\\p{L})(${CITIES.flatMap(([, forms]) => forms)
    .sort((a, b) => b.length - a.length)
    .map((f) => (f.endsWith(' ') ? `${escapeRegex(f.trim())}(?!\\p{L})` : escapeRegex(f)))
    .join('|')})`,
  'iu',
);

/** The first city named in `text`, in English; null when none of the list is. */
export function cityIn(text: string): string | null {
  const m = PATTERN.exec(text.toLowerCase());
  return m?.[1] ? (BY_FORM.get(m[1]) ?? null) : null;
}
