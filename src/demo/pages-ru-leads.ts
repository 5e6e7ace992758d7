/**
 * Demo market: Russian-language listings that ARE leads (sales of synthetics, NPS, classic drugs,
 * pharma diversion, and a courier recruitment post). Identifiers are fake but well-formed: the
 * TRON address is a public example and appears on two listings so they link; card numbers pass Luhn;
 * BTC addresses are public test vectors.
 */
import { type ContentSpec, listing } from './types.ts';

/** Public example TRON address, shared by two listings so the store links them. */
export const SHARED_TRON = 'TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7';

export const RU_LEADS: ContentSpec[] = [
  listing(
    'mef-kristall-vhq',
    'ru',
    'Меф кристалл VHQ — Алматы, закладки 24/7',
    {
      adId: 1042,
      price: '25 000',
      currency: '₸',
      seller: '@kristal_alm_2077',
      city: 'Алматы',
      section: 'misc',
    },
    [
      'Мефедрон (4-MMC) кристалл, чистота 97%, свежая партия, не путать с мукой от перекупов.',
      'Работаем по Алматы: Бостандыкский, Алмалинский и Медеуский районы. Закладки — магнит и прикоп, фото с координатами сразу после оплаты.',
      `Оплата USDT (TRC-20) на кошелёк ${SHARED_TRON} или переводом на Kaspi. Оператор в Telegram: @kristal_alm_2077, отвечаем круглосуточно. При ненаходе — перезаклад после проверки.`,
    ],
    {
      lead: true,
      leadKind: 'sale',
      category: 'nps',
      why: 'Sells mephedrone («меф», 4-MMC), a synthetic cathinone (NPS), by dead drop (закладка, магнит, прикоп) for USDT; TRON wallet shared with the 3-MMC listing.',
    },
    [{ href: '/item/sol-alfa-pvp?ref=tg_channel', text: 'Ещё от этого продавца' }],
  ),
  listing(
    'sol-alfa-pvp',
    'ru',
    'Соль (α-PVP) крупный кристалл — Москва и МО',
    { adId: 1057, price: '3 500', currency: '₽', seller: '@sk_crystal_msk', city: 'Москва', section: 'misc' },
    [
      'Крис, он же «соль», α-PVP — крупный прозрачный кристалл, не мука и не бодяга. 0,5 г — 3 500 ₽, 1 г — 6 000 ₽.',
      'Клады по Москве и области: прикопы в лесопарках, магниты в спальных районах. Адрес выдаём после трёх подтверждений сети.',
      'Оплата только BTC: bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4. Связь: @sk_crystal_msk.',
    ],
    {
      lead: true,
      leadKind: 'sale',
      category: 'nps',
      why: 'Sells α-PVP («соль», «крис», кристалл), a synthetic cathinone (NPS), in gram prices through клад/прикоп/магнит drops, paid in BTC.',
    },
  ),
  listing(
    'spais-magnit',
    'ru',
    'Курительные смеси — мощный микс, магниты по Уралу',
    {
      adId: 1063,
      price: '2 000',
      currency: '₽',
      seller: '@smesi_ural_bot',
      city: 'Екатеринбург',
      section: 'misc',
    },
    [
      'Курительная смесь на синтетических каннабиноидах (MDMB-4en-PINACA), «сп@йс» новой формулы. Фасовка 1, 2 и 5 г.',
      'Закладки-магниты по Екатеринбургу и Челябинску, выдача адресов через бот без участия оператора.',
      'Оплата на карту 2200 7001 2345 6781 или через обменник. Бот: @smesi_ural_bot.',
    ],
    {
      lead: true,
      leadKind: 'sale',
      category: 'nps',
      why: 'Sells spice — a synthetic cannabinoid smoking mix (MDMB-4en-PINACA, «сп@йс» spelled with @) — via magnet drops, paid to a card.',
    },
  ),
  listing(
    'fen-skorost',
    'ru',
    'Фен / скорость — амфетамин, опт и розница',
    {
      adId: 1071,
      price: '2 500',
      currency: '₽',
      seller: '@skorost_nsk',
      city: 'Новосибирск',
      section: 'misc',
    },
    [
      'Амфетамин («фен», «скорость»), паста и порошок, без лишних примесей. Розница от 1 г, опт от 50 г со скидкой.',
      'Клад в день оплаты, районы: Ленинский, Кировский, Октябрьский.',
      'Оплата переводом на карту 4276 3800 1234 5679, после оплаты пишите чек в личку @skorost_nsk.',
    ],
    {
      lead: true,
      leadKind: 'sale',
      category: 'synthetic',
      why: 'Sells amphetamine («фен», «скорость») retail and wholesale by клад, paid to a bank card.',
    },
  ),
  listing(
    '3-mmc-reaktiv',
    'ru',
    '3-MMC (метафедрон) — реактив для исследований',
    { adId: 1088, price: '40', currency: '$', seller: '@rc_lab_kz', city: 'Астана', section: 'health' },
    [
      '3-MMC, кристалл, к каждой партии прилагается лабораторный анализ. Продаётся как химический реактив для исследований, «не для употребления» — все всё понимают.',
      'Отправка по СНГ почтой в вакуумной упаковке и закладками в Астане и Алматы.',
      `Оплата USDT TRC-20: ${SHARED_TRON}. Менеджер: @rc_lab_kz.`,
    ],
    {
      lead: true,
      leadKind: 'sale',
      category: 'nps',
      why: 'Sells 3-MMC, a designer cathinone, under the "research chemical, not for consumption" cover; same TRON wallet as the «меф» listing.',
    },
  ),
  listing(
    'bromazolam-1mg',
    'ru',
    'Бромазолам 1 мг, блистеры — спокойный сон без рецепта',
    {
      adId: 1090,
      price: '3 000',
      currency: '₽',
      seller: '@benzo_spb_24',
      city: 'Санкт-Петербург',
      section: 'health',
    },
    [
      'Бромазолам — дизайнерский бензодиазепин, таблетки по 1 мг, блистер 10 шт. — 3 000 ₽.',
      'Без рецепта и без лишних вопросов. Отправка СДЭКом в любой город или закладка по Санкт-Петербургу.',
      'Оплата BTC или на карту, подробности у оператора @benzo_spb_24.',
    ],
    {
      lead: true,
      leadKind: 'sale',
      category: 'nps',
      why: 'Sells bromazolam, a designer benzodiazepine (NPS), without prescription, by post or закладка.',
    },
  ),
  listing(
    'gashish-plastilin',
    'ru',
    'Гашиш твёрдый, «пластилин» — Шымкент',
    { adId: 1102, price: '15 000', currency: '₸', seller: '@chui_hash_kz', city: 'Шымкент', section: 'misc' },
    [
      'Гашиш твёрдый, «пластилин» ручной работы из чуйской конопли, урожай прошлого года.',
      '1 г — 15 000 ₸, от 5 г скидка 10%. Только закладки: прикоп в частном секторе, фото и координаты после оплаты.',
      'Связь и заказ: @chui_hash_kz.',
    ],
    {
      lead: true,
      leadKind: 'sale',
      category: 'classic',
      why: 'Sells hashish («гашиш», «пластилин») by the gram through прикоп dead drops.',
    },
  ),
  listing(
    'tramadol-bez-recepta',
    'ru',
    'Трамадол 100 мг без рецепта — доставка по Алматы',
    {
      adId: 1115,
      price: '8 000',
      currency: '₸',
      seller: '@tram_apteka_alm',
      city: 'Алматы',
      section: 'health',
    },
    [
      'Трамадол ретард 100 мг, оригинальная упаковка, 20 капсул — 8 000 ₸. Продаём без рецепта, анонимно.',
      'Также в наличии лирика (прегабалин) и тропикамид. Доставка курьером по Алматы или закладкой.',
      'Оплата переводом, пишите в Telegram @tram_apteka_alm, звонки не принимаем.',
    ],
    {
      lead: true,
      leadKind: 'sale',
      category: 'pharma',
      why: 'Diverts prescription-only tramadol, pregabalin and tropicamide: "без рецепта", anonymous, courier or закладка.',
    },
  ),
  listing(
    'rabota-kurier-kladmen',
    'ru',
    'Работа курьером — высокая оплата, свободный график',
    {
      adId: 1120,
      price: 'от 250 000',
      currency: '₸',
      seller: '@hr_kladmen_kz',
      city: 'Караганда',
      section: 'jobs',
    },
    [
      'Требуются закладчики в крупный магазин, высокая оплата — от 250 000 ₸ в неделю. Опыт не нужен, всему научим.',
      'Забираешь мастер-клад, фасуешь и раскладываешь по городу, фото с координатами отправляешь куратору. Работа с телефона.',
      'Выплаты каждую неделю в USDT. Залог 50 000 ₸ или работа по документам. Пиши: @hr_kladmen_kz.',
    ],
    {
      lead: true,
      leadKind: 'recruitment',
      why: 'Recruits dead-drop couriers («требуются закладчики», мастер-клад, раскладывать по городу) for a drug shop.',
    },
  ),
];
