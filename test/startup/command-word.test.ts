import { afterEach, describe, expect, it } from 'vitest';
import { commandWord, wantsCodeCache } from '../../src/startup/command-word.js';

describe('commandWord', () => {
  it('is the first word that is neither an option nor the value of a global option', () => {
    expect(commandWord(['plan', 'mid'])).toBe('plan');
    expect(commandWord(['--runbook', 'plan', 'run', 'mid'])).toBe('run');
    expect(commandWord(['--env', 'prod', '--state', 's3://b/p', '--profile', 'x', '--state-dir', 'd', 'rollback', '3'])).toBe('rollback');
    expect(commandWord(['--runbook=plan', '--json', 'status'])).toBe('status');
    expect(commandWord(['--json', '--no-color'])).toBeUndefined();
    expect(commandWord([])).toBeUndefined();
    expect(commandWord(['--', 'users'])).toBe('users');
  });
});

describe('wantsCodeCache', () => {
  const saved = process.env.MIGRATE_CODE_CACHE;
  afterEach(() => {
    if (saved === undefined) delete process.env.MIGRATE_CODE_CACHE;
    else process.env.MIGRATE_CODE_CACHE = saved;
  });
  const argv = (...args: string[]) => ['node', 'migrate', ...args];

  it('is wanted by the short commands that load the AWS SDK', () => {
    delete process.env.MIGRATE_CODE_CACHE;
    for (const command of ['plan', 'run', 'rollback', 'state']) {
      expect(wantsCodeCache(argv('--runbook', 'r.yaml', command, 'x')), command).toBe(true);
    }
    // Small commands, and long ones (users, watch, rehearse, sandbox) for which start-up is nothing.
    for (const command of [
      'validate',
      'status',
      'log',
      'report',
      'show',
      'approve',
      'unlock',
      'help',
      'users',
      'watch',
      'rehearse',
      'sandbox',
    ]) {
      expect(wantsCodeCache(argv(command)), command).toBe(false);
    }
    expect(wantsCodeCache(argv('--json'))).toBe(false);
  });

  it('is not wanted with --debug (source-mapped stacks), for help or the version, or with MIGRATE_CODE_CACHE=0', () => {
    delete process.env.MIGRATE_CODE_CACHE;
    for (const extra of ['--debug', '--help', '-h', '--version', '-V'])
      expect(wantsCodeCache(argv('plan', 'mid', extra)), extra).toBe(false);
    process.env.MIGRATE_CODE_CACHE = '0';
    expect(wantsCodeCache(argv('plan', 'mid'))).toBe(false);
  });
});
