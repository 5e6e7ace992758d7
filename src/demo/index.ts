/** The bundled demo market: a fixture site with ground truth, for the quick start and the tests. */
export { type CrawlPlanOptions, demoCrawlPlan } from './crawl-plan.ts';
export { type DemoMarket, type DemoMarketOptions, startDemoMarket } from './market.ts';
export { SHARED_TRON } from './pages-ru-leads.ts';
export { demoSiteInput } from './site-config.ts';
export { demoPages, EXTERNAL_URL, type PageModel, pageLinks, pageModel, TRAP_ENTRY } from './site.ts';
export type { DemoCategory, DemoLang, DemoLeadKind, DemoPage, DemoPageKind } from './types.ts';
