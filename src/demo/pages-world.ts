/**
 * Demo market: Chinese and English pages — methamphetamine, MDMA, a nitazene and cocaine for sale,
 * and innocent pages sharing words with them (冰糖 rock sugar, hemp textiles, an anti-drug notice).
 */
import { article, type ContentSpec, listing } from './types.ts';

export const WORLD_PAGES: ContentSpec[] = [
  listing(
    'bingdu-tongcheng',
    'zh',
    '冰毒 高纯度 同城埋包',
    { adId: 4002, price: '600', currency: '元', seller: '@bing_xj_88', city: '乌鲁木齐', section: 'world' },
    [
      '高纯度冰毒（甲基苯丙胺），晶体透明，新货到。1克600元，5克以上优惠。',
      '乌鲁木齐、霍尔果斯同城埋包，付款后发坐标和照片。',
      '支持USDT（TRC20）和支付宝，加Telegram：@bing_xj_88，微信不聊。',
    ],
    {
      lead: true,
      leadKind: 'sale',
      category: 'synthetic',
      why: 'Chinese: sells methamphetamine (冰毒, 甲基苯丙胺) by local dead drop (同城埋包, coordinates after payment).',
    },
    [{ href: '/item/yaotouwan-mdma?ref=cn_channel', text: '同一卖家的其他商品' }],
  ),
  listing(
    'yaotouwan-mdma',
    'zh',
    '摇头丸 MDMA 进口 多种颜色',
    {
      adId: 4005,
      price: '150',
      currency: '元',
      seller: '@party_pills_cn',
      city: '霍尔果斯',
      section: 'world',
    },
    [
      '进口摇头丸（MDMA），每粒含量高，有粉色、蓝色多种款式。10粒起批，量大从优。',
      '全国包邮，隐蔽包装，也可同城面交或埋包。',
      '比特币付款：3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy，Telegram：@party_pills_cn。',
    ],
    {
      lead: true,
      leadKind: 'sale',
      category: 'synthetic',
      why: 'Chinese: sells MDMA pills (摇头丸) with concealed shipping and dead drops, paid in bitcoin.',
    },
  ),
  listing(
    'bingtang-yunnan',
    'zh',
    '云南老冰糖 500克 散装',
    { adId: 4010, price: '18', currency: '元', seller: '老街杂货铺', city: '昆明', section: 'home' },
    [
      '云南产多晶老冰糖，颗粒晶莹透明，甜而不腻，适合煲汤、泡茶和炖雪梨。',
      '500克一袋，三袋包邮。本店是实体店，支持支付宝和微信付款，同城可以自提。',
    ],
    {
      lead: false,
      why: 'Chinese: rock sugar (冰糖) shares 冰, 晶莹透明, 包邮 and 同城 with the 冰毒 listing, but it is food.',
    },
  ),
  article(
    '/news/jindu-xuanchuan',
    'zh',
    '禁毒宣传：远离冰毒和新型毒品',
    '2026-06-26',
    [
      '冰毒、摇头丸以及各种新精神活性物质都会严重损害身体和大脑，长期吸食可导致精神障碍甚至死亡。',
      '一些不法分子把毒品伪装成奶茶粉、跳跳糖或者电子烟油，在网上和社交软件里贩卖，请青少年提高警惕。',
      '发现贩毒线索，请向当地公安机关举报。珍爱生命，远离毒品。',
    ],
    'Chinese anti-drug notice (禁毒宣传): names 冰毒, 摇头丸 and NPS to warn young people; sells nothing.',
  ),
  listing(
    'protonitazene-rc',
    'en',
    'Protonitazene powder — research chemical, worldwide stealth',
    {
      adId: 5001,
      price: '120',
      currency: '$',
      seller: '@rc_vendor_global',
      city: 'Almaty',
      section: 'world',
    },
    [
      'Protonitazene HCl, 99% purity, lab-tested — sold as a research chemical, not for human consumption. 100 mg and 1 g packs available.',
      'Worldwide stealth shipping in vacuum-sealed mylar; local dead drops in Almaty and Tashkent on request.',
      'Payment in BTC only: 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2. Contact on Telegram @rc_vendor_global.',
    ],
    {
      lead: true,
      leadKind: 'sale',
      category: 'nps',
      why: 'English: sells protonitazene, a nitazene opioid (NPS), as a "research chemical" with stealth shipping and dead drops for BTC.',
    },
  ),
  listing(
    'cocaine-peru-almaty',
    'en',
    '❄️ Peruvian cocaine, uncut — Almaty drops',
    { adId: 5004, price: '150', currency: '$', seller: '@snow_alm_plug', city: 'Almaty', section: 'world' },
    [
      'Pure Peruvian flake cocaine ❄️, uncut, fishscale. 1 g — $150, 5 g — $650.',
      'Dead drops (magnets and buried stashes) across Almaty, coordinates and photo right after payment.',
      'Pay with USDT on TRON or BTC; card transfers for regulars only. Telegram: @snow_alm_plug.',
    ],
    {
      lead: true,
      leadKind: 'sale',
      category: 'classic',
      why: 'English: sells cocaine (❄️, "flake", "fishscale") by the gram through dead drops for crypto.',
    },
  ),
  listing(
    'hemp-tote-bag',
    'en',
    'Hemp canvas tote bag — natural, handmade',
    { adId: 5010, price: '18', currency: '$', seller: 'Steppe Textiles', city: 'Bishkek', section: 'world' },
    [
      'A sturdy tote bag sewn from 100% hemp canvas, woven from industrial hemp fibre grown without pesticides.',
      'Hemp textiles are strong, breathable and get softer with every wash; the bag holds up to 15 kg. Natural undyed colour, 40 × 38 cm, with an inside pocket.',
      'Ships worldwide by post within 3 days; wholesale prices for shops from 20 pieces.',
    ],
    {
      lead: false,
      why: 'English: a bag made of industrial hemp fibre — shares "hemp", "ships worldwide", "wholesale", but it is a legal textile.',
    },
  ),
];
