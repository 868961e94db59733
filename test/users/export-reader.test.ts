import { execFile } from 'node:child_process';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportDigest, openExport, readExport } from '../../src/users/export-reader.js';
import type { ExportRecord } from '../../src/users/types.js';
import { kcUser, tempDir, writeDifferentFiles, writeRealmExport } from './helpers.js';

const run = promisify(execFile);

async function all(path: string): Promise<ExportRecord[]> {
  const out: ExportRecord[] = [];
  for await (const r of readExport(path)) out.push(r);
  return out;
}

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => {
  await tmp.cleanup();
});

describe('Keycloak export reader', () => {
  it('reads a same_file realm export, with positions, and drops credentials', async () => {
    const file = join(tmp.dir, 'lin-realm.json');
    await writeRealmExport(file, 5, kcUser, true);
    const records = await all(file);
    expect(records.map((r) => r.position)).toEqual([0, 1, 2, 3, 4].map((i) => `lin-realm.json users[${i}]`));
    expect(records[3]!.user).toEqual({
      username: 'user3',
      email: 'user3@example.nhs.uk',
      firstName: 'First3',
      lastName: 'Last3',
      enabled: true,
      emailVerified: false,
      attributes: { DBC: ['1-3AB', '1-1RUZV1D'] },
      groups: ['/RevalAdmin'],
      realmRoles: ['offline_access'],
    });
    expect(JSON.stringify(records)).not.toMatch(/credentials|secretData|hash-/);
    expect((await openExport(file)).layout).toBe('same_file');
  });

  it('reads a different_files directory in numeric order and ignores the realm file', async () => {
    const dir = join(tmp.dir, 'split');
    await writeDifferentFiles(dir, [3, 0, 2, 1, 1, 1, 1, 1, 1, 1, 2]);
    const src = await openExport(dir);
    expect(src.layout).toBe('different_files');
    expect(src.files.map((f) => f.slice(dir.length + 1))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => `lin-users-${n}.json`));
    const records = await all(dir);
    expect(records.map((r) => r.user.email)).toEqual(Array.from({ length: 14 }, (_, i) => `user${i}@example.nhs.uk`));
    expect(records[3]!.position).toBe('lin-users-2.json users[0]');
    await expect(openExport(join(tmp.dir, 'nowhere'))).rejects.toThrow(/cannot read the Keycloak export/);
  });

  it('reads CSV: quoted fields, BOM, CRLF, extra columns as attributes, password columns never', async () => {
    const file = join(tmp.dir, 'users.csv');
    await writeFile(
      file,
      '\uFEFFemail,firstName,lastName,enabled,emailVerified,DBC,groups,Password\r\n' +
        'a@b.uk,"Smith, Jo","O""Brien",true,yes,"1-1RUZV1D,1-AIIDR8",RevalAdmin;/HEE Admin,hunter2\r\n' +
        'c@d.uk,"Multi\r\nLine",Ng,FALSE,,,,s3cret\r\n' +
        'e@f.uk,Short\r\n' +
        'g@h.uk,X,Y,maybe,,,,\r\n',
    );
    const records = await all(file);
    expect(records.map((r) => r.position)).toEqual(['users.csv line 2', 'users.csv line 3', 'users.csv line 5', 'users.csv line 6']);
    expect(records[0]!.user).toMatchObject({
      email: 'a@b.uk',
      firstName: 'Smith, Jo',
      lastName: 'O"Brien',
      enabled: true,
      emailVerified: true,
      attributes: { DBC: ['1-1RUZV1D,1-AIIDR8'] },
      groups: ['RevalAdmin', '/HEE Admin'],
    });
    expect(records[1]!.user).toMatchObject({ firstName: 'Multi\r\nLine', enabled: false, attributes: {} });
    expect(records[2]!.problem).toMatch(/has 2 fields but the header has 8/);
    expect(records[3]!.problem).toMatch(/enabled is "maybe"/);
    expect(JSON.stringify(records)).not.toMatch(/hunter2|s3cret|Password/);
    expect((await openExport(file)).layout).toBe('csv');
  });

  it('reports bad rows with their position instead of failing the whole export', async () => {
    const file = join(tmp.dir, 'odd.json');
    await writeFile(file, '{"users":[{"email":"a@b.uk","enabled":"yes"},[1],{"email":5},{"email":"ok@b.uk","attributes":{"n":[1,true]}}]}');
    const records = await all(file);
    expect(records.map((r) => [r.position, r.problem])).toEqual([
      ['odd.json users[0]', 'enabled is not true or false'],
      ['odd.json users[1]', 'not a JSON object'],
      ['odd.json users[2]', 'email is not a string'],
      ['odd.json users[3]', undefined],
    ]);
    expect(records[3]!.user.attributes).toEqual({ n: ['1', 'true'] });
  });

  it('rejects a truncated export and one without users, naming the file', async () => {
    const cut = join(tmp.dir, 'cut.json');
    await writeFile(cut, '{"realm":"lin","users":[{"email":"a@b.uk"},{"email":"c@');
    await expect(all(cut)).rejects.toThrow(/cut\.json: the export ends before its JSON is complete/);
    const none = join(tmp.dir, 'none.json');
    await writeFile(none, '{"realm":"lin"}');
    await expect(all(none)).rejects.toThrow(/none\.json has no "users" array/);
  });

  it('digests the export so a checkpoint knows which export it belongs to', async () => {
    const a = join(tmp.dir, 'd1.json');
    const b = join(tmp.dir, 'd2.json');
    await writeFile(a, '{"users":[]}');
    await writeFile(b, '{"users":[ ]}');
    const da = await exportDigest(await openExport(a));
    expect(da).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await exportDigest(await openExport(a))).toBe(da);
    expect(await exportDigest(await openExport(b))).not.toBe(da);
  });

  it('streams a 100k-user export in a heap far smaller than the file', async () => {
    const file = join(tmp.dir, 'big.json');
    await writeRealmExport(file, 100_000);
    const size = (await stat(file)).size;
    expect(size).toBeGreaterThan(30_000_000);
    const reader = new URL('../../dist/users/export-reader.js', import.meta.url).href;
    const script = `const { readExport } = await import(${JSON.stringify(reader)}); let n = 0; for await (const r of readExport(process.argv[1])) n++; console.log(n);`;
    // A 16 MB old space cannot hold the file's text, let alone its parse: only streaming fits.
    const { stdout } = await run(process.execPath, ['--max-old-space-size=16', '--input-type=module', '-e', script, file], {
      maxBuffer: 1 << 20,
    });
    expect(Number(stdout.trim())).toBe(100_000);
  }, 120_000);
});
