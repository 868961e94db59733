export { loadRunbook, parseRunbookText } from './load.js';
export { pickEnvironment, resolveRunbook, resolveText } from './resolve.js';
export type * from './types.js';
