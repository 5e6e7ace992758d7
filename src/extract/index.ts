export { MAX_LINKS, MAX_TEXT_CHARS, type ParseInput, parseHtml, parseText } from './document.ts';
export { extractIdentifiers } from './identifiers/index.ts';
export type { Document, Identifier, IdentifierType, ListingFields } from './types.ts';
