export { csvCell, csvHeader, csvRow, leadJson } from './export.ts';
