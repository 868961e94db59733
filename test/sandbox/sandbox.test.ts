import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTimeScale, sandboxCommand, shellQuote } from '../../src/commands/sandbox.js';
import { RunbookError } from '../../src/errors.js';
import { startSandbox } from '../../src/sandbox/sandbox.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { isDead, waitFor } from '../helpers/process.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

const EXPORT_NAMES = [
  'AWS_ENDPOINT_URL',
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'MIGRATE_ENV',
  'MIGRATE_TIME_SCALE',
  'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
  'MIGRATE_SANDBOX_HEALTH_URL',
  'MIGRATE_SANDBOX_ZONE_ID',
  'MIGRATE_SANDBOX_ADMINS_DISTRIBUTION_ID',
  'MIGRATE_SANDBOX_ADMINS_DISTRIBUTION_DOMAIN',
  'MIGRATE_SANDBOX_NEW_POOL_ID',
  'MIGRATE_SANDBOX_NEW_POOL_ARN',
  'MIGRATE_SANDBOX_OLD_POOL_ARN',
  'MIGRATE_SANDBOX_ACCOUNT_ID',
  // The versioned state bucket, for --state; not MIGRATE_STATE, so the local backend stays the default.
  'MIGRATE_SANDBOX_STATE_URL',
  'MIGRATE_SANDBOX_TERRAFORM_OUTPUTS',
  'MIGRATE_SANDBOX_WEBHOOK_URL',
];

describe('startSandbox', () => {
  let sandbox: Sandbox;
  const listenersBefore = { SIGINT: 0, SIGTERM: 0 };
  beforeAll(async () => {
    listenersBefore.SIGINT = process.listenerCount('SIGINT');
    listenersBefore.SIGTERM = process.listenerCount('SIGTERM');
    sandbox = await startSandbox({ timeScale: 600, faults: { incidents: ['reval-down'] } });
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  it('exports what points the SDK and the runbook at the sandbox', () => {
    const { exports, ids } = sandbox;
    expect(Object.keys(exports)).toEqual(EXPORT_NAMES);
    expect(exports).toMatchObject({
      AWS_ENDPOINT_URL: sandbox.proxy.url,
      AWS_REGION: 'eu-west-2',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_SESSION_TOKEN: '',
      MIGRATE_ENV: 'sandbox',
      MIGRATE_TIME_SCALE: '600',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      MIGRATE_SANDBOX_HEALTH_URL: sandbox.health.url,
      MIGRATE_SANDBOX_ZONE_ID: ids.zoneId,
      MIGRATE_SANDBOX_ADMINS_DISTRIBUTION_ID: ids.adminsDistributionId,
      MIGRATE_SANDBOX_ADMINS_DISTRIBUTION_DOMAIN: ids.adminsDistributionDomain,
      MIGRATE_SANDBOX_NEW_POOL_ID: ids.newPoolId,
      MIGRATE_SANDBOX_NEW_POOL_ARN: ids.newPoolArn,
      MIGRATE_SANDBOX_OLD_POOL_ARN: ids.oldPoolArn,
      MIGRATE_SANDBOX_ACCOUNT_ID: '000000000000',
      MIGRATE_SANDBOX_WEBHOOK_URL: sandbox.webhook.url,
      MIGRATE_SANDBOX_STATE_URL: 's3://migrate-sandbox-state/cutover',
    });
    expect(ids.accountId).toBe('000000000000');
    // What `terraform output -json` would print for this estate: the runbook reads ${tf.…} from it.
    const outputs = JSON.parse(readFileSync(exports.MIGRATE_SANDBOX_TERRAFORM_OUTPUTS!, 'utf8')) as Record<
      string,
      { value: string; sensitive: boolean }
    >;
    expect(outputs.cognito_user_pool_id).toEqual({ sensitive: false, type: 'string', value: ids.newPoolId });
    expect(outputs.admins_ui_distribution_domain?.value).toBe(ids.adminsDistributionDomain);
  });

  it("seeds behind the proxy: the request log starts empty and sees the runbook's calls", async () => {
    expect(sandbox.proxy.requests).toEqual([]);
    const r53 = await import('@aws-sdk/client-route-53');
    const client = new r53.Route53Client({
      endpoint: sandbox.exports.AWS_ENDPOINT_URL,
      region: 'eu-west-2',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const zones = (await client.send(new r53.ListHostedZonesCommand({}))).HostedZones ?? [];
    expect(zones.map((z) => z.Name)).toEqual(['tis.nhs.uk.']);
    expect(sandbox.proxy.requests.map((r) => `${r.service} ${r.operation}`)).toEqual(['route53 ListHostedZones']);
    sandbox.proxy.clearLog();
  });

  it("serves the health endpoints, with the incidents of the proxy's current faults", async () => {
    expect((await fetch(`${sandbox.health.url}/admins-ui/`)).status).toBe(200);
    const ag = await import('@aws-sdk/client-api-gateway');
    const client = new ag.APIGatewayClient({
      endpoint: sandbox.moto.url,
      region: 'eu-west-2',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const { ids } = sandbox;
    await client.send(
      new ag.UpdateAuthorizerCommand({
        restApiId: ids.revalApiId,
        authorizerId: ids.revalAuthorizerId,
        patchOperations: [
          { op: 'add', path: '/providerARNs', value: ids.newPoolArn },
          { op: 'remove', path: '/providerARNs', value: ids.oldPoolArn },
        ],
      }),
    );
    expect((await fetch(`${sandbox.health.url}/reval/api/v1/doctors`)).status).toBe(503);
    sandbox.proxy.setFaults({});
    expect((await fetch(`${sandbox.health.url}/reval/api/v1/doctors`)).status).toBe(200);
  });

  it('stops health, proxy and moto, and can be stopped twice', async () => {
    const pid = sandbox.moto.pid;
    await sandbox.stop();
    await sandbox.stop();
    expect(isDead(pid)).toBe(true);
    await expect(fetch(`${sandbox.health.url}/`)).rejects.toThrow();
    await expect(fetch(`${sandbox.proxy.url}/`)).rejects.toThrow();
    for (const signal of ['SIGINT', 'SIGTERM'] as const) expect(process.listenerCount(signal)).toBe(listenersBefore[signal]);
  });
});

describe('migrate sandbox (the command)', () => {
  it('prints the exports then # ready, serves them, and on SIGTERM stops moto and exits 0', async () => {
    const script = [
      `import { sandboxCommand } from ${JSON.stringify(new URL('dist/commands/sandbox.js', `file://${root}/`).href)};`,
      `process.exitCode = await sandboxCommand({ timeScale: '600', faults: 'latency=1ms' });`,
    ].join('\n');
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      expect(await waitFor(() => stdout.includes('# ready\n') || child.exitCode !== null, 45_000), stderr).toBe(true);
      const lines = stdout.trimEnd().split('\n');
      expect(lines.at(-1)).toBe('# ready');
      expect(lines.at(-2)).toBe('# time scale 600: a 1h wait takes 6s');
      const exports: Record<string, string> = {};
      for (const line of lines.slice(0, -2)) {
        const match = /^export ([A-Z0-9_]+)=(.*)$/.exec(line);
        expect(match, line).not.toBeNull();
        const raw = match?.[2] ?? '';
        exports[match?.[1] ?? ''] = raw.startsWith("'") ? raw.slice(1, -1).replace(/'\\''/g, "'") : raw;
      }
      expect(Object.keys(exports)).toEqual(EXPORT_NAMES);
      const motoPid = Number(/\(pid (\d+)\)/.exec(stderr)?.[1]);
      expect(motoPid).toBeGreaterThan(0);

      // A separate process configured by nothing but those variables reaches the sandbox.
      const probe = [
        `const r53 = await import('@aws-sdk/client-route-53');`,
        `const sts = await import('@aws-sdk/client-sts');`,
        `const zones = (await new r53.Route53Client({}).send(new r53.ListHostedZonesCommand({}))).HostedZones.map((z) => z.Id.replace('/hostedzone/', ''));`,
        `const account = (await new sts.STSClient({}).send(new sts.GetCallerIdentityCommand({}))).Account;`,
        `process.stdout.write(JSON.stringify({ zones, account }));`,
      ].join('\n');
      const { AWS_PROFILE: _profile, ...inherited } = process.env;
      const answer = await new Promise<string>((resolve, reject) => {
        const run = spawn(process.execPath, ['--input-type=module', '-e', probe], {
          cwd: root,
          env: { ...inherited, ...exports },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        run.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
        run.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
        run.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`probe exited ${code}: ${err}`))));
      });
      expect(JSON.parse(answer)).toEqual({ zones: [exports.MIGRATE_SANDBOX_ZONE_ID], account: '000000000000' });

      child.kill('SIGTERM');
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(await waitFor(() => isDead(motoPid), 5000)).toBe(true);
      expect(stderr).toContain('Sandbox stopped.');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);

  it('when nobody else handles SIGTERM, the sandbox stops and the process still dies of the signal', async () => {
    const script = [
      `import { startSandbox } from ${JSON.stringify(new URL('dist/sandbox/sandbox.js', `file://${root}/`).href)};`,
      `const sandbox = await startSandbox({});`,
      `process.stdout.write('moto ' + sandbox.moto.pid + '\\n');`,
      `setInterval(() => {}, 1000);`,
    ].join('\n');
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      expect(await waitFor(() => /moto \d+\n/.test(stdout) || child.exitCode !== null, 45_000), stderr).toBe(true);
      const motoPid = Number(/moto (\d+)/.exec(stdout)?.[1]);
      child.kill('SIGTERM');
      expect(await exited).toEqual({ code: null, signal: 'SIGTERM' });
      expect(await waitFor(() => isDead(motoPid), 5000)).toBe(true);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);

  it('refuses a bad --time-scale or --faults before starting anything', async () => {
    for (const bad of ['0', '-5', 'fast', '', '1e3']) {
      expect(() => parseTimeScale(bad), bad).toThrow(RunbookError);
    }
    expect(parseTimeScale(undefined)).toBe(600);
    expect(parseTimeScale('1')).toBe(1);
    expect(parseTimeScale('2.5')).toBe(2.5);
    const error = (await sandboxCommand({ timeScale: 'soon' }).catch((e: unknown) => e)) as RunbookError;
    expect(error).toBeInstanceOf(RunbookError);
    expect(error).toMatchObject({ code: 'USAGE', exitCode: 2 });
    expect(error.hint).toContain('600');
    const faults = (await sandboxCommand({ faults: 'throttle=2' }).catch((e: unknown) => e)) as RunbookError;
    expect(faults).toMatchObject({ code: 'USAGE' });
    expect(faults.hint).toBeTruthy();
  });

  it('quotes export values only when the shell needs it', () => {
    expect(shellQuote('http://127.0.0.1:4566')).toBe('http://127.0.0.1:4566');
    expect(shellQuote('arn:aws:cognito-idp:eu-west-2:000000000000:userpool/eu-west-2_abc')).toBe(
      'arn:aws:cognito-idp:eu-west-2:000000000000:userpool/eu-west-2_abc',
    );
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('TIS <no-reply@tis.nhs.uk>')).toBe("'TIS <no-reply@tis.nhs.uk>'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });
});
