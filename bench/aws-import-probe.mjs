// Preloaded with --import: reports on exit how many AWS SDK and zod modules were loaded. In the
// bundle (dist/ built by scripts/build.mjs) they are inside chunks: each loaded chunk's source map
// lists the modules it holds.
import { existsSync, readFileSync } from 'node:fs';
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';

const { port1, port2 } = new MessageChannel();
const seen = new Set();
port1.on('message', (url) => seen.add(url));
port1.unref();
register('./aws-import-hooks.mjs', { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });

function modulesOf(url) {
  if (!url.startsWith('file:')) return [url];
  const map = `${fileURLToPath(url)}.map`;
  if (url.includes('/node_modules/') || !existsSync(map)) return [url];
  return JSON.parse(readFileSync(map, 'utf8')).sources;
}

process.on('exit', () => {
  const modules = [...seen].flatMap(modulesOf);
  const aws = modules.filter((u) => u.includes('@aws-sdk'));
  const zod = modules.filter((u) => u.includes('/node_modules/zod/'));
  const files = [...seen].filter((u) => u.startsWith('file:'));
  process.stderr.write(`AWS_SDK_MODULES=${aws.length}\nZOD_MODULES=${zod.length}\nFILES=${files.length}\n`);
});
