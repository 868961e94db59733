// What the bundle gives for zod's `locales` namespace: English only. zod configures English
// itself; the other sixty locales (a third of zod's code) were parsed on every start of a command
// that loads zod, and nothing in migrate or a step plugin can select one through the CLI.
export { default as en } from '../node_modules/zod/v4/locales/en.js';
