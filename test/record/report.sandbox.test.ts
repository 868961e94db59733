import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { ROOT, RUNBOOK, cli, sandboxEnv, tempDir } from '../e2e/helpers.js';

const CHROMIUM = process.env.MIGRATE_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test-artifacts');

/**
 * Issue 14: the change record of a whole rehearsal (pre, mid, rollback 4 which chains 3, mid, post),
 * driven through the CLI, then opened in headless Chromium with the network watched.
 */
describe('migrate report of a full sandbox rehearsal', () => {
  let sandbox: Sandbox;
  const state = tempDir('migrate-report-');
  let env: NodeJS.ProcessEnv;
  const migrate = (...args: string[]) => cli(['--runbook', RUNBOOK, ...args], env);
  const stepRefs = [
    'pre.1a',
    'pre.1b',
    'pre.1c',
    'pre.1d',
    'pre.2',
    'pre.3',
    'pre.4a',
    'pre.4b',
    'pre.5',
    'pre.6',
    'mid.1',
    'mid.2',
    'mid.3',
    'mid.4',
    'mid.5a',
    'mid.5b',
    'post.1a',
    'post.1b',
    'post.1c',
    'post.2',
    'post.3',
  ];

  beforeAll(async () => {
    sandbox = await startSandbox({ timeScale: 600 });
    env = sandboxEnv(sandbox, state.path);
    for (const args of [
      ['run', 'pre', '--yes'],
      ['run', 'mid', '--yes'],
      ['rollback', '4', '--yes'],
      ['run', 'mid', '--yes'],
      ['run', 'post', '--yes'],
    ]) {
      const r = await migrate(...args);
      if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    }
  }, 120_000);
  afterAll(async () => {
    await sandbox?.stop();
    state.remove();
  });

  it('--format json: every run, both rollback entries, every step with how long it took', async () => {
    const r = await migrate('report', '--format', 'json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      runs: {
        kind: string;
        label: string;
        entries: string[];
        steps: { ref: string; durationMs: number; undo: boolean; gates: { name: string; ok: boolean | null }[] }[];
      }[];
      manual: { ref: string; by: string }[];
      rollbacks: { label: string; restored: { ref: string; restored: string[] }[] }[];
    };
    expect(doc.runs.map((x) => x.label)).toEqual(['run pre', 'run mid', 'rollback 4 → 3', 'run mid', 'run post']);
    expect(doc.runs[2]!.entries).toEqual(['4', '3']);
    expect(doc.runs[2]!.steps.filter((s) => s.undo).map((s) => s.ref)).toEqual(['mid.4', 'mid.3']);
    const ran = new Set(doc.runs.flatMap((x) => x.steps.map((s) => s.ref)));
    for (const ref of stepRefs) expect(ran, ref).toContain(ref);
    const mid3 = doc.runs[1]!.steps.find((s) => s.ref === 'mid.3')!;
    expect(mid3.gates).toEqual([{ name: 'admins-ui', ok: true }]);
    expect(doc.manual.map((m) => m.ref)).toEqual(expect.arrayContaining(['pre.4b', 'pre.5', 'pre.6', 'mid.1', 'post.2', 'post.3']));
    expect(doc.rollbacks[0]!.restored.map((s) => s.ref)).toEqual(['mid.4', 'mid.3']);
  });

  it('--format md has the same steps, in tables that paste into a ticket', async () => {
    const r = await migrate('report', '--format', 'md');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# Change record: keycloak-to-cognito · sandbox$/m);
    expect(r.stdout).toMatch(/^### Rollback: rollback 4 → 3$/m);
    for (const ref of stepRefs) expect(r.stdout, ref).toMatch(new RegExp(`^\\| (↺ )?${ref.replace('.', '\\.')} \\|`, 'm'));
  });

  it('--format html opens in headless Chromium with no console error and no request, and shows every step and both rollbacks on the timeline', async () => {
    const out = join(state.path, 'record.html');
    const r = await migrate('report', '--format', 'html', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(out);
    const html = readFileSync(out, 'utf8');
    expect(html).not.toMatch(/<script|<link|@import|url\(|src=/i);

    const browser: Browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('request', (req) => requests.push(req.url()));
      const url = `file://${out}`;
      await page.goto(url, { waitUntil: 'load' });
      expect(problems).toEqual([]);
      expect(requests.filter((u) => u !== url)).toEqual([]);

      const svg = page.locator('svg.timeline');
      await expect(svg.isVisible()).resolves.toBe(true);
      for (const ref of stepRefs) {
        const label = svg.locator(`g.row[data-ref="${ref}"] text.label`).first();
        expect(await label.isVisible(), ref).toBe(true);
      }
      for (const entry of ['rollback.4', 'rollback.3'])
        expect(await svg.locator(`g.row.entry[data-ref="${entry}"]`).isVisible(), entry).toBe(true);
      expect(await svg.locator('g.row.rollback text.label').textContent()).toBe('rollback 4 → 3');
      expect(await svg.locator('g.row.undo').count()).toBe(2);

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'change-record.png'), fullPage: true });
      const pdf = await page.pdf({ format: 'A4', landscape: true, printBackground: true });
      writeFileSync(join(ARTIFACTS, 'change-record.pdf'), pdf);
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    } finally {
      await browser.close();
    }
  }, 60_000);
});
