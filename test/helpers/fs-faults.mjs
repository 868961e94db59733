// Loaded with `node --import` into a migrate process when the test cannot mount a small tmpfs:
// it makes the filesystem under MIGRATE_TEST_FS_DIR behave as full (ENOSPC on every write) or
// read-only (EROFS on every change) while the file `${MIGRATE_TEST_FS_DIR}.fault` says so.
// ENOSPC-SPARE leaves room for one small file, the lock, as a full tmpfs with one page free does.
import fsp from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { resolve } from 'node:path';

const dir = process.env.MIGRATE_TEST_FS_DIR ? resolve(process.env.MIGRATE_TEST_FS_DIR) : undefined;
if (dir) {
  const marker = `${dir}.fault`;
  const fault = () => (existsSync(marker) ? readFileSync(marker, 'utf8').trim() : '');
  const under = (p) => typeof p === 'string' && (resolve(p) === dir || resolve(p).startsWith(`${dir}/`));
  const fail = (code, syscall, path) =>
    Object.assign(new Error(`${code}: ${code === 'ENOSPC' ? 'no space left on device' : 'read-only file system'}, ${syscall} '${path}'`), {
      code,
      syscall,
      path,
      errno: code === 'ENOSPC' ? -28 : -30,
    });
  const writesTo = (flags) => (typeof flags === 'number' ? (flags & 3) !== 0 : /[wa+]/.test(flags ?? 'r'));
  const tracked = new WeakMap();

  const open = fsp.open;
  fsp.open = async function (path, flags, mode) {
    if (under(path) && fault() === 'EROFS' && writesTo(flags)) throw fail('EROFS', 'open', path);
    const handle = await open.call(this, path, flags, mode);
    if (under(path)) tracked.set(handle, String(path));
    return handle;
  };
  for (const name of ['mkdir', 'rename', 'unlink', 'link', 'chmod', 'rm']) {
    const orig = fsp[name];
    fsp[name] = async function (path, ...rest) {
      if (under(path) && fault() === 'EROFS') throw fail('EROFS', name, path);
      return orig.call(this, path, ...rest);
    };
  }
  syncBuiltinESMExports();

  const probe = await open(process.execPath, 'r');
  const proto = Object.getPrototypeOf(probe);
  await probe.close();
  for (const name of ['write', 'writeFile', 'appendFile', 'writev', 'chmod']) {
    const orig = proto[name];
    proto[name] = async function (...args) {
      const path = tracked.get(this);
      const f = path === undefined ? '' : fault();
      const spared = f === 'ENOSPC-SPARE' && /\/\.lock\.[^/]*\.tmp$/.test(path);
      if (f.startsWith('ENOSPC') && !spared && name !== 'chmod') throw fail('ENOSPC', 'write', path);
      if (f === 'EROFS') throw fail('EROFS', name, '');
      return orig.apply(this, args);
    };
  }
}
