/**
 * Demo market: listings in Kazakh, Kyrgyz, Uzbek (Latin and Cyrillic) and Tajik — sales, a courier
 * recruitment post, and innocent goods that share words with them (tuz/тұз = salt, ziravorlar = spices).
 */
import { type ContentSpec, listing } from './types.ts';

export const ASIA_PAGES: ContentSpec[] = [
  listing(
    'kk-mef-astana',
    'kk',
    'Меф кристалл — Астана бойынша закладкалар',
    {
      adId: 3004,
      price: '27 000',
      currency: '₸',
      seller: '@astana_kristal_kz',
      city: 'Астана',
      section: 'misc',
    },
    [
      'Сапалы мефедрон (меф), кристалл түрінде, тазалығы жоғары. Көтерме сатып алушыларға жеңілдік бар.',
      'Астананың барлық аудандарында закладка: магнит немесе прикоп. Төлегеннен кейін бірден координаттар мен фото жібереміз.',
      'Төлем Kaspi Gold картасына (4400 4302 1234 5679) немесе USDT арқылы. Тапсырыс беру үшін Telegram: @astana_kristal_kz.',
    ],
    {
      lead: true,
      leadKind: 'sale',
      category: 'nps',
      why: 'Kazakh: sells mephedrone («меф», кристалл), a synthetic cathinone (NPS), by закладка (магнит, прикоп) in Astana, paid to a Kaspi card or USDT.',
    },
    [{ href: '/item/mef-kristall-vhq?sid=abc123', text: 'Ұқсас хабарландырулар' }],
  ),
  listing(
    'kk-as-tuzy',
    'kk',
    'Ас тұзы, йодталған, 1 кг — көтерме бағамен',
    { adId: 3011, price: '170', currency: 'тг', seller: 'Аралтұз-Сауда', city: 'Алматы', section: 'home' },
    [
      'Йодталған ас тұзы, ұсақ ұнтақ, 1 кг қаптамада. Өндіруші — «Аралтұз» АҚ.',
      'Дүкендер мен асханаларға көтерме бағамен сатамыз, 20 қаптамадан бастап жеткізу тегін. Алматы қаласы бойынша жеткізу бір күнде.',
    ],
    {
      lead: false,
      why: 'Kazakh: iodised table salt («ас тұзы») sold wholesale to shops; salt for cooking, no drug context.',
    },
  ),
  listing(
    'ky-mef-sol-bishkek',
    'ky',
    'Меф жана «соль» — Бишкек боюнча закладка',
    {
      adId: 3020,
      price: '4 500',
      currency: 'сом',
      seller: '@bishkek_kristal_kg',
      city: 'Бишкек',
      section: 'misc',
    },
    [
      'Сапаттуу мефедрон жана альфа-PVP («соль»), кристалл. 1 грамм — 4 500 сом.',
      'Бишкектин бардык райондорунда закладка: магнит же прикоп. Төлөгөндөн кийин дароо координаттарды жана сүрөттү жиберебиз.',
      'Төлөм MBank картасына же USDT менен. Заказ үчүн Telegram: @bishkek_kristal_kg.',
    ],
    {
      lead: true,
      leadKind: 'sale',
      category: 'nps',
      why: 'Kyrgyz: sells mephedrone and α-PVP («соль»), synthetic cathinones (NPS), by закладка (магнит, прикоп) in Bishkek for som or USDT.',
    },
  ),
  listing(
    'uz-spays-toshkent',
    'uz',
    "Spays (sintetik nasha) — Toshkent bo'ylab magnit",
    {
      adId: 3031,
      price: '250 000',
      currency: "so'm",
      seller: '@tash_spays_uz',
      city: 'Toshkent',
      section: 'misc',
    },
    [
      'Kuchli spays, sintetik kannabinoid aralashmasi, yangi partiya.',
      "Toshkentning barcha tumanlarida klad: magnit yoki prikop, to'lovdan keyin darhol koordinata va rasm yuboramiz. 1 gramm — 250 000 so'm, 3 grammdan olsangiz chegirma bor.",
      "To'lov Uzcard kartaga (8600 1234 5678 9012) yoki USDT orqali. Buyurtma uchun Telegram: @tash_spays_uz.",
    ],
    {
      lead: true,
      leadKind: 'sale',
      category: 'nps',
      why: 'Uzbek (Latin): sells spice, a synthetic cannabinoid mix («spays», «sintetik nasha»), by klad/magnit/prikop, paid to an Uzcard card.',
    },
  ),
  listing(
    'uz-ish-kuryer',
    'uz',
    'Ish bor: kuryer kerak, yuqori maosh',
    {
      adId: 3036,
      price: '5 000 000',
      currency: "so'm",
      seller: '@ish_tashkent_uz',
      city: 'Toshkent',
      section: 'jobs',
    },
    [
      "Katta do'konga kuryerlar kerak, yuqori maosh — haftasiga 5 000 000 so'mgacha.",
      "Hech narsa sotmaysiz, faqat tayyor paketlarni shahar bo'ylab joylashtirasiz va rasmga olasiz. Tajriba shart emas, hammasini o'rgatamiz, ish telefondan.",
      'Maosh har hafta USDT yoki kartaga. Yozing: @ish_tashkent_uz.',
    ],
    {
      lead: true,
      leadKind: 'recruitment',
      why: 'Uzbek (Latin): recruits couriers who "sell nothing" («hech narsa sotmaysiz») but place packages around the city and photograph them — dead-drop work.',
    },
  ),
  listing(
    'uz-mefedron-samarqand',
    'uz',
    'Мефедрон кристалл — Самарқанд, клад',
    {
      adId: 3042,
      price: '400 000',
      currency: 'сўм',
      seller: '@samarqand_kristal',
      city: 'Самарқанд',
      section: 'misc',
    },
    [
      'Сифатли мефедрон, кристалл, янги партия. 1 грамм — 400 000 сўм.',
      'Самарқанд шаҳрининг барча туманларида клад: магнит ёки прикоп, тўловдан кейин дарҳол координата ва расм юборамиз.',
      'Тўлов Humo картага ёки USDT орқали. Буюртма учун Telegram: @samarqand_kristal.',
    ],
    {
      lead: true,
      leadKind: 'sale',
      category: 'nps',
      why: 'Uzbek (Cyrillic): sells mephedrone, a synthetic cathinone (NPS), by клад (магнит, прикоп) in Samarkand for сўм or USDT.',
    },
  ),
  listing(
    'uz-ziravorlar',
    'uz',
    'Ziravorlar: zira, zirk, qalampir — osh uchun to‘plam',
    {
      adId: 3050,
      price: '45 000',
      currency: 'so‘m',
      seller: 'Samarqand Ziravor',
      city: 'Toshkent',
      section: 'home',
    },
    [
      'Haqiqiy o‘zbek oshi uchun ziravorlar to‘plami: zira, zirk, kashnich urug‘i va qizil qalampir.',
      'Hammasi Samarqanddan, yangi hosil, har biri 100 grammdan qadoqlangan. Toshkent bo‘ylab kuryer orqali yetkazib beramiz, 3 to‘plamdan ortiq olsangiz — chegirma.',
    ],
    {
      lead: false,
      why: 'Uzbek (Latin): kitchen spices for plov; shares «kuryer», «Toshkent bo‘ylab», «chegirma», «yangi» with the spice listing, sells food.',
    },
  ),
  listing(
    'tg-spays-dushanbe',
    'tg',
    'Спайс (омехтаи синтетикӣ) — Душанбе, закладка',
    {
      adId: 3063,
      price: '300',
      currency: 'сомонӣ',
      seller: '@dushanbe_spice_tj',
      city: 'Душанбе',
      section: 'misc',
    },
    [
      'Спайси пурқувват, омехтаи каннабиноидҳои синтетикӣ, партияи нав. 1 грамм — 300 сомонӣ.',
      'Дар ҳамаи ноҳияҳои Душанбе закладка: магнит ё прикоп. Баъди пардохт фавран координата ва аксро мефиристем.',
      'Пардохт ба корти Алиф ё бо USDT. Барои фармоиш дар Telegram нависед: @dushanbe_spice_tj.',
    ],
    {
      lead: true,
      leadKind: 'sale',
      category: 'nps',
      why: 'Tajik: sells spice, a synthetic cannabinoid mix («спайс», «омехтаи синтетикӣ»), by закладка in Dushanbe.',
    },
  ),
];
