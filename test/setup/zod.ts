// Step types build their parameter schemas from zod loaded on demand (src/steps/support/zod.ts):
// the CLI loads it where it needs it, a test that reads `type.params` needs it loaded first.
import { loadZod } from '../../src/steps/support/zod.js';

await loadZod();
