import { afterEach, describe, expect, it } from 'vitest';
import { codeCacheCommand, commandWord } from '../../src/startup/command-word.js';

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

describe('codeCacheCommand', () => {
  const saved = process.env.MIGRATE_CODE_CACHE;
  afterEach(() => {
    if (saved === undefined) delete process.env.MIGRATE_CODE_CACHE;
    else process.env.MIGRATE_CODE_CACHE = saved;
  });
  const argv = (...args: string[]) => ['node', 'migrate', ...args];

  it('is the command, for the short commands that load the AWS SDK', () => {
    delete process.env.MIGRATE_CODE_CACHE;
    for (const command of ['plan', 'run', 'rollback', 'state']) {
      expect(codeCacheCommand(argv('--runbook', 'r.yaml', command, 'x')), command).toBe(command);
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
      expect(codeCacheCommand(argv(command)), command).toBeUndefined();
    }
    expect(codeCacheCommand(argv('--json'))).toBeUndefined();
  });

  it('is none with --debug (source-mapped stacks), for help or the version, or with MIGRATE_CODE_CACHE=0', () => {
    delete process.env.MIGRATE_CODE_CACHE;
    for (const extra of ['--debug', '--help', '-h', '--version', '-V'])
      expect(codeCacheCommand(argv('plan', 'mid', extra)), extra).toBeUndefined();
    process.env.MIGRATE_CODE_CACHE = '0';
    expect(codeCacheCommand(argv('plan', 'mid'))).toBeUndefined();
  });
});
