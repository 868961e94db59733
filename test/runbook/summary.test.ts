import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadRunbookSummary } from '../../src/runbook/summary.js';

const RUNBOOK = (title: string) => `version: 1
name: demo
environments:
  sandbox: { region: eu-west-2, account: "000000000000" }
phases:
  mid:
    - { id: 1, title: ${title}, type: wait, with: { duration: 1s } }
rollback: []
`;

describe('loadRunbookSummary', () => {
  let cache: string;
  let previous: string | undefined;
  beforeEach(() => {
    previous = process.env.XDG_CACHE_HOME;
    cache = mkdtempSync(join(tmpdir(), 'migrate-summary-'));
    process.env.XDG_CACHE_HOME = cache;
  });
  afterEach(() => {
    process.env.XDG_CACHE_HOME = previous;
  });

  it('validates once, then serves the same summary from the cache; an edit is validated again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'migrate-rb-'));
    const file = join(dir, 'rb.yaml');
    writeFileSync(file, RUNBOOK('First'));
    const first = await loadRunbookSummary(file);
    expect(first.phases.mid.map((s) => `${s.ref} ${s.title}`)).toEqual(['mid.1 First']);
    expect(readdirSync(join(cache, 'migrate'))).toHaveLength(1);
    expect(await loadRunbookSummary(file)).toEqual(first);

    writeFileSync(file, RUNBOOK('Second'));
    expect((await loadRunbookSummary(file)).phases.mid[0]?.title).toBe('Second');
    expect(readdirSync(join(cache, 'migrate'))).toHaveLength(2);
  });

  it('never caches an invalid runbook: each read reports the problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'migrate-rb-'));
    const file = join(dir, 'rb.yaml');
    writeFileSync(file, RUNBOOK('T').replace('type: wait', 'type: wiat'));
    await expect(loadRunbookSummary(file)).rejects.toMatchObject({ code: 'RUNBOOK_INVALID' });
    await expect(loadRunbookSummary(file)).rejects.toMatchObject({ code: 'RUNBOOK_INVALID' });
    expect(() => readdirSync(join(cache, 'migrate'))).toThrow();
  });

  it("a missing file is the loader's clear error", async () => {
    await expect(loadRunbookSummary(join(tmpdir(), 'no-such-runbook.yaml'))).rejects.toMatchObject({ code: 'RUNBOOK_NOT_FOUND' });
  });
});
