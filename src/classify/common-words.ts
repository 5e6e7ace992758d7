/** The most common words of each language, for the lexicon linter (a form that is one of them would match everywhere). */
import { formKeys } from './compile.ts';

/**
 * The most common words of each language (function words, pronouns, auxiliaries, the top nouns): a form
 * that is one of them matches nearly every text in that language.
 */
export const COMMON: Record<string, string> = {
  ru:
    'и в во не на я быть был была были было будет он с со что а по это она этот эти этой этом этого к ко но они ' +
    'мы как из у который то за свой весь все всё всего год от так о об для ты же тот мочь вы человек такой его ' +
    'сказать только или еще ещё бы себя один уже до время если сам когда другой вот говорить наш наша наши мой ' +
    'знать стать при чтобы дело жизнь кто первый очень два день ее её новый даже раз где там под можно ну ' +
    'какой после их без самый потом надо хотеть ли есть нет да мне меня нас вас им ему них тоже тут здесь сейчас ' +
    'теперь более вам тебя тебе него нее ней чем через между',
  en:
    'the be to of and a in that have i it for not on with he as you do at this but his by from they we say her ' +
    'she or an will my one all would there their what so up out if about who get which go me when make can like ' +
    'time no just him know take people into year your good some could them see other than then now look only ' +
    'come its over think also back after use two how our work first well way even new want because any these ' +
    'give day most us is are was were been has had did does am',
  kk:
    'және мен да де та те бұл ол бір бар жоқ емес үшін деп еді болып сол осы мына бен пен ғана тек әр барлық біз ' +
    'сіз сен олар оның оны оған менің біздің сіздің сенің қазір енді кейін бойынша туралы арқылы дейін соң ' +
    'қандай қалай неге кім не уақыт жыл күн адам өз өзі болады болған болды керек мүмкін көп аз жаңа үлкен ' +
    'жақсы иә тағы әлі ең өте бірақ немесе егер себебі сондықтан яғни мұнда онда ал ма ме ба бе па пе ғой ' +
    'екен еді сияқты бойы соң оларды бізге сізге маған саған олардың ешқандай бәрі барлығы',
  ky:
    'жана менен да дагы бул ал ошол бир бар жок эмес үчүн деп эле болуп мен сен биз силер алар анын аны ага ' +
    'менин биздин сиздин сиз азыр эми кийин боюнча жөнүндө аркылуу чейин кандай кантип эмне ким эмнеге убакыт ' +
    'жыл күн адам өз өзү болот болгон болду керек мүмкүн көп аз жаңы чоң жакшы ооба эң абдан бирок же эгер ' +
    'анткени ошондуктан бул жерде мында ар бардык эки үч тең гана деген болсо экен ушул тигил ага алардын бизге ' +
    'сага мага ошондо кээ бирөө эч кандайдыр',
  uz:
    "va bu u bir bor yo'q emas uchun deb edi bo'lib shu ushbu men sen biz siz ular uning uni unga mening bizning " +
    "sizning hozir endi keyin bo'yicha haqida orqali gacha qanday nima kim nega vaqt yil kun odam o'z o'zi " +
    "bo'ladi bo'lgan bo'ldi kerak mumkin ko'p oz yangi katta kichik yaxshi ha yana eng juda lekin yoki agar " +
    'chunki shuning bilan ham esa har barcha hamma ikki uch ва бу у бир бор йўқ эмас учун деб эди бўлиб шу мен ' +
    'сен биз сиз улар унинг уни кейин ҳақида орқали қандай нима ким вақт йил кун одам ўз керак мумкин кўп янги ' +
    'катта яхши лекин ёки агар билан ҳам эса ҳар барча',
  tg:
    'ва дар ба аз ки ин он бо як барои то ҳам мо шумо ман ту онҳо вай ӯ худ буд аст будааст мешавад шуд кард ' +
    'карда мекунад нест ҳаст не ҳа чӣ кӣ чаро кай куҷо чунки агар аммо ё вале бояд метавонад ҳар ҳама баъд пеш ' +
    'пас сол рӯз вақт одам ду се бисёр хеле низ инчунин бошад шуда гуфт мегӯяд дорад доранд ҳамин чунин он ки ' +
    'онро инро моро ба он ки дигар нав калон хуб',
  zh:
    '的 一 是 不 了 在 人 有 我 他 这 个 们 中 来 上 大 为 和 国 地 到 以 说 时 要 就 出 会 可 也 你 对 生 能 而 子 那 ' +
    '得 于 着 下 自 之 年 过 发 后 作 里 用 道 行 所 然 家 种 事 成 方 多 经 么 去 法 学 如 都 同 现 当 没 动 面 ' +
    '起 看 定 天 分 还 进 好 小 部 其 些 主 样 理 心 她 本 前 开 但 因 只 从 想 实 我们 他们 你们 这个 那个 什么 ' +
    '没有 可以 因为 所以 但是 如果 已经 这样 自己 一个 现在 时候 知道 就是 还是',
};

/** Normalised common word → the languages it is common in. */
const COMMON_WORDS: ReadonlyMap<string, readonly string[]> = (() => {
  const map = new Map<string, string[]>();
  for (const [lang, words] of Object.entries(COMMON)) {
    for (const w of words.split(/\s+/)) {
      const key = formKeys(w).join('');
      if (!key) continue;
      const langs = map.get(key) ?? [];
      if (!langs.includes(lang)) langs.push(lang);
      map.set(key, langs);
    }
  }
  return map;
})();

/** Languages `word` (normalised, as `formKeys` returns it) is one of the most common words of; empty when none. */
export function commonWordLangs(word: string): readonly string[] {
  return COMMON_WORDS.get(word) ?? [];
}
