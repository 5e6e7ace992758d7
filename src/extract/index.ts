export {
  MAX_LINKS,
  MAX_TEXT_CHARS,
  MAX_TITLE_CHARS,
  MAX_URL_CHARS,
  type ParseInput,
  parseHtml,
  parseText,
} from './document.ts';
export { MAX_DEPTH } from './flatten.ts';
export { extractIdentifiers, identifiersWrittenAs } from './identifiers/index.ts';
export type { Document, Identifier, IdentifierType, ListingFields } from './types.ts';
