import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { usersDiff, usersEnsure, usersSync, type UsersDeps } from '../../src/commands/users.js';
import type { SyncProgress } from '../../src/users/types.js';
import { capture, createPool, kcUser, listAll, mapping, writeRealmExport } from './helpers.js';
import { client, tmp, useMotoCognito } from './moto-cognito.js';

const SECRET = 'Tr0ub4dor&3-never-print-me';

useMotoCognito();

/** Every place the secret could leak to, in one string. */
function everything(...parts: unknown[]): string {
  return JSON.stringify(parts, (_k, v: unknown) =>
    v instanceof Error ? { message: v.message, hint: (v as { hint?: string }).hint, details: (v as { details?: string[] }).details } : v,
  );
}

describe('a password in the export never leaves the reader', () => {
  it('is absent from every line, JSON document, audit event, progress report, error and the checkpoint', async () => {
    const pool = await createPool(client, { groups: ['reval-admins'] });
    const exportFile = join(tmp.dir, 'secret.json');
    await writeRealmExport(exportFile, 6, (i) =>
      kcUser(i, {
        credentials: [{ type: 'password', value: SECRET, secretData: `{"value":"${SECRET}"}` }],
        // Keycloak never exports a password as an attribute, but an operator's CSV or script might.
        attributes: { DBC: ['1-1RUZV1D'], password: [SECRET] },
        ...(i === 4 ? { enabled: false } : {}),
      }),
    );
    const c = capture();
    const progress: SyncProgress[] = [];
    const errors: unknown[] = [];
    const deps: UsersDeps = {
      cognito: client,
      mapping: mapping(),
      userPoolId: pool,
      checkpointFile: join(tmp.dir, 'state', 'secret.checkpoint.json'),
      audit: c.audit,
      out: { ...c.out, progress: (p) => progress.push(p) },
      signal: new AbortController().signal,
    };
    await usersDiff(deps, { exportFile, json: false });
    await usersDiff(deps, { exportFile, json: true });
    await usersSync(deps, { exportFile, dryRun: true, invite: false });
    await usersSync(deps, { exportFile, dryRun: true, invite: false, json: true });
    await usersEnsure(deps, { exportFile, email: 'user1@example.nhs.uk', dryRun: false, invite: false });
    await usersEnsure(deps, { exportFile, email: 'user4@example.nhs.uk', dryRun: false, invite: false }).catch((e: unknown) =>
      errors.push(e),
    );
    await usersSync(deps, { exportFile, dryRun: false, invite: false, passwordOk: true });
    await usersSync(deps, { exportFile, dryRun: false, invite: false, passwordOk: true, json: true });
    const checkpoint = await readFile(deps.checkpointFile, 'utf8');
    expect((await stat(deps.checkpointFile)).mode & 0o777).toBe(0o600);
    expect((await stat(join(tmp.dir, 'state'))).mode & 0o777).toBe(0o700);
    expect(errors).toHaveLength(1);
    expect(c.lines.length).toBeGreaterThan(10);
    expect(c.events.length).toBeGreaterThan(10);
    expect(progress.length).toBeGreaterThan(0);
    const all = everything(c.lines, c.docs, c.events, progress, errors, checkpoint);
    expect(all).toContain('user1@example.nhs.uk');
    expect(all).not.toContain(SECRET);
    // And not in Cognito either.
    expect(JSON.stringify(await listAll(client, pool))).not.toContain(SECRET);
  });

  it('stays out of the messages about a malformed row or a cut-short export', async () => {
    const malformed = join(tmp.dir, 'malformed.json');
    await writeFile(malformed, `{"users":[{"email":"a@b.uk","credentials":[{"value":"${SECRET}"}], "enabled": tru},{"email":"c@d.uk"}]}`);
    const cut = join(tmp.dir, 'cut.json');
    await writeFile(cut, `{"users":[{"email":"a@b.uk","credentials":[{"value":"${SECRET}`);
    const csv = join(tmp.dir, 'secret.csv');
    await writeFile(csv, `email,password,enabled\na@b.uk,${SECRET},nope\n"c@d.uk,${SECRET}\n`);
    const pool = await createPool(client);
    const c = capture();
    const deps: UsersDeps = {
      cognito: client,
      mapping: mapping(),
      userPoolId: pool,
      checkpointFile: join(tmp.dir, 'x.json'),
      audit: c.audit,
      out: c.out,
      signal: new AbortController().signal,
    };
    const results: unknown[] = [];
    for (const exportFile of [malformed, cut, csv]) {
      for (const json of [false, true])
        await usersDiff(deps, { exportFile, json }).then(
          (r) => results.push(r),
          (e: unknown) => results.push(e),
        );
    }
    const all = everything(results, c.lines, c.docs);
    expect(all).toContain('malformed JSON');
    expect(all).toContain('cut short');
    expect(all).toContain('never closed');
    expect(all).not.toContain(SECRET);
  });
});
