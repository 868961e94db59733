export { loadRunbook, parseRunbookText } from './load.js';
export { pickEnvironment, resolveRunbook } from './resolve.js';
export type * from './types.js';
