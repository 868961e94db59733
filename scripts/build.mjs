#!/usr/bin/env node
// Builds dist/ with esbuild: ESM, code split, so each command (cli.ts imports it lazily) and each
// AWS SDK client stays a chunk loaded only by what uses it, and Node resolves and reads a few dozen
// files instead of ~280 (module loading was half of a small command's start-up).
// tsc stays the type checker (npm run typecheck); this build does not check types.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const REQUIRE_BANNER =
  "import { createRequire as __migrateCreateRequire } from 'node:module'; const require = __migrateCreateRequire(import.meta.url);";

/**
 * Modules that tests, benches and `npm run schema` import from dist/ by path, beside the CLI's
 * bin.js. Each keeps its src/ path under dist/; their shared code goes to dist/chunks/ like the
 * rest, so a process that imports two of them still has one copy of each module.
 * test/setup/dist-entries.test.ts fails when a test or bench names a dist/ module not listed here.
 */
export const DIST_ENTRIES = [
  'bin',
  'commands/sandbox',
  'commands/users',
  'runbook/compile-validator',
  'runbook/write-schema',
  'sandbox/moto',
  'sandbox/proxy',
  'sandbox/sandbox',
  'state/lock',
  'users/export-reader',
  'users/json-out',
  'users/progress',
];

/**
 * The bundle's own copy of an AWS SDK client, for code that hands a dist/ module a client it built
 * itself (test/users/fixtures/sync-child.mjs, bench/users.mjs): the SDK's paginators refuse a
 * client of another copy of the SDK ("Invalid client, expected instance of ..."). It is the CLI's
 * facade (src/aws/sdk/), not the whole package: a whole client here would be the one every command
 * loads, every command it has included.
 */
export const DIST_SDK_ENTRIES = ['client-cognito-identity-provider'];
const SDK_FACADES = { 'client-cognito-identity-provider': 'src/aws/sdk/cognito.ts' };

function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

/**
 * The status cache's stamp of the runbook loader (src/runbook/summary.ts): a digest of what the
 * bundle is built from, so a rebuild of the same sources keeps the cache and any change drops it.
 */
function buildId() {
  const hash = createHash('sha256');
  const files = filesUnder(join(root, 'src')).map((f) => relative(root, f));
  // The build's own options change the output as much as the sources do.
  for (const file of [...files.sort(), 'package-lock.json', 'scripts/build.mjs']) hash.update(file).update(readFileSync(join(root, file)));
  return hash.digest('hex').slice(0, 16);
}

/** zod's locales index, inside zod only, resolves to scripts/zod-locales.mjs (see there why). */
const englishOnlyZod = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: join(root, 'scripts', 'zod-locales.mjs') } : undefined,
    );
  },
};

/**
 * The whole CLI as one CommonJS file, dist/chunks/main.cjs, for the short commands that load the
 * AWS SDK: src/startup/code-cache.ts runs it through vm.Script with a V8 code cache kept in the
 * user's cache folder, so they do not compile ~1 MB of the SDK again on every start, nor resolve
 * and link ~75 chunks (`plan mid` against the sandbox: 0.57x -> 0.45x one AWS CLI call on Node 20,
 * where ES modules cannot take a code cache at all; 0.43x -> 0.36x on Node 22, against its compile
 * cache over the chunks). It sits beside the chunks so that paths taken relative to a module
 * (`new URL('../../src/...', import.meta.url)`) point where they do from a chunk.
 */
export const MAIN_CJS = 'chunks/main.cjs';
const IMPORT_META_BANNER = 'var __migrateImportMetaUrl = require("node:url").pathToFileURL(__filename).href;';

function commonOptions() {
  return {
    absWorkingDir: root,
    bundle: true,
    plugins: [englishOnlyZod],
    platform: 'node',
    target: 'node20',
    // The packages' ESM builds (the AWS SDK's dist-es): a lazily imported CommonJS build, once
    // split into its own chunk, exposes only `default` to the import() that loads it.
    mainFields: ['module', 'main'],
    // yaml's exports give Node its CommonJS build (state/validate.ts imports it lazily) and every
    // other runtime the ESM one: the same code, whose only differences (warnings through
    // process.emitWarning, Buffer for !!binary) this CLI never reaches (logLevel error or silent).
    alias: { yaml: './node_modules/yaml/browser/index.js' },
    // Stack traces map back to src/ (bin.ts turns source maps on for --debug); the sources are in
    // the repository, so the maps do not carry a copy. Minifying names made no measurable
    // difference to start-up and would break code that reads a class's name.
    sourcemap: true,
    sourcesContent: false,
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    define: { MIGRATE_BUILD_ID: JSON.stringify(buildId()) },
    write: false,
    metafile: true,
    logLevel: 'warning',
  };
}

/**
 * main.cjs: every import() becomes a require() (esbuild does that when told the target has no
 * import()), which is right for the bundled modules and Node's built-ins. The one import() of a
 * file outside the bundle, a step plugin, goes through globalThis.__migrateImport, which the code
 * cache loader provides: a vm.Script run from a code cache cannot import() (Node 20 and 22).
 */
async function buildMainCjs(outdir) {
  const common = commonOptions();
  return build({
    ...common,
    entryPoints: [{ in: 'src/main.ts', out: MAIN_CJS.replace(/\.cjs$/, '') }],
    outExtension: { '.js': '.cjs' },
    outdir,
    format: 'cjs',
    // ASCII only (escapes for the rest), which startup/code-cache.ts relies on to read it as latin1.
    charset: 'ascii',
    supported: { 'dynamic-import': false },
    define: { ...common.define, 'import.meta.url': '__migrateImportMetaUrl' },
    banner: { js: IMPORT_META_BANNER },
  });
}

/**
 * Builds in memory, then writes only the files whose bytes changed (each through a rename) and
 * removes the ones this build no longer has (tsc's old one-file-per-module layout, chunks of an
 * older build). The same sources give the same chunk names, so a CLI that a test run has already
 * started never finds its next chunk missing or half written because another test run rebuilt.
 */
export async function buildDist(overrides = {}) {
  const outdir = join(root, overrides.outdir ?? 'dist');
  const [result, mainCjs] = await Promise.all([
    build({
      ...commonOptions(),
      entryPoints: [
        ...DIST_ENTRIES.map((e) => ({ in: `src/${e}.ts`, out: e })),
        ...DIST_SDK_ENTRIES.map((c) => ({ in: SDK_FACADES[c], out: `sdk/${c}` })),
      ],
      outdir,
      chunkNames: 'chunks/[name]-[hash]',
      splitting: true,
      format: 'esm',
      // CommonJS code inside the bundle (commander, yaml, inquirer's helpers) calls require().
      banner: { js: REQUIRE_BANNER },
      ...overrides,
    }),
    buildMainCjs(outdir),
  ]);
  const nonAscii = mainCjs.outputFiles.find((f) => f.path.endsWith('.cjs') && f.contents.some((byte) => byte > 0x7f));
  if (nonAscii) throw new Error(`${nonAscii.path} is not ASCII, but src/startup/code-cache.ts reads it as latin1`);
  result.outputFiles.push(...mainCjs.outputFiles);
  // What the alias above avoids, for any package: a lazily imported CommonJS build would expose
  // only `default` to its import(), and a named export read from it would be undefined at run time.
  const { inputs, outputs } = result.metafile;
  const lazyCjs = Object.values(outputs).flatMap((o) => (o.entryPoint && inputs[o.entryPoint]?.format === 'cjs' ? [o.entryPoint] : []));
  if (lazyCjs.length) throw new Error(`import() of a CommonJS module, which exposes only default once split: ${lazyCjs.join(', ')}`);
  const wanted = new Set();
  // Which packages each file of dist/ holds (dist/packages.json): for the test that holds `plan`
  // and `status` to starting without zod, yaml and listr2, and for anyone asking why a chunk loads.
  const packages = {};
  for (const [out, meta] of Object.entries(outputs)) {
    if (!out.endsWith('.js')) continue;
    const names = new Set(Object.keys(meta.inputs).map((i) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(i)?.[1] ?? 'migrate'));
    packages[relative(outdir, join(root, out))] = [...names].sort();
  }
  const manifest = JSON.stringify(packages, null, 1);
  result.outputFiles.push({ path: join(outdir, 'packages.json'), contents: Buffer.from(manifest), text: manifest });
  for (const file of result.outputFiles) {
    wanted.add(file.path);
    let contents = file.contents;
    // A chunk that never calls require() need not build one (a few dozen chunks load at start-up);
    // the banner's line stays, empty, so the source map's lines still match.
    if (file.path.endsWith('.js') && !/\brequire\b/.test(file.text.replace(REQUIRE_BANNER, ''))) {
      contents = Buffer.from(file.text.replace(REQUIRE_BANNER, ''));
    }
    const old = existsSync(file.path) ? readFileSync(file.path) : undefined;
    if (old?.equals(contents)) continue;
    mkdirSync(dirname(file.path), { recursive: true });
    const temp = `${file.path}.${process.pid}.tmp`;
    // bin.js keeps its #! line and is run as a command.
    writeFileSync(temp, contents, { mode: file.text.startsWith('#!') ? 0o755 : 0o644 });
    renameSync(temp, file.path);
  }
  for (const file of filesUnder(outdir)) if (!wanted.has(file)) rmSync(file);
  for (const dir of readdirSync(outdir, { recursive: true })
    .map((d) => join(outdir, d))
    .sort()
    .reverse()) {
    if (statSync(dir).isDirectory() && readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
  }
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildDist();
