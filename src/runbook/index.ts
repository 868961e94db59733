export { loadRunbook, parseRunbookText } from './load.js';
export { resolveRunbook } from './resolve.js';
export type * from './types.js';
