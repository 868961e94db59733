// Preloaded with --import: reports on exit whether any AWS SDK module was loaded.
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const { port1, port2 } = new MessageChannel();
const seen = new Set();
port1.on('message', (url) => seen.add(url));
port1.unref();
register('./aws-import-hooks.mjs', { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });
process.on('exit', () => {
  const aws = [...seen].filter((u) => u.includes('@aws-sdk'));
  const zod = [...seen].filter((u) => u.includes('/node_modules/zod/'));
  process.stderr.write(`AWS_SDK_MODULES=${aws.length}\nZOD_MODULES=${zod.length}\n`);
});
