import { afterEach, describe, expect, it } from 'vitest';
import { globalFlags, runResume, shellWord } from '../../src/commands/resume.js';

describe('resume commands', () => {
  const saved = process.env.MIGRATE_ENV;
  afterEach(() => {
    if (saved === undefined) delete process.env.MIGRATE_ENV;
    else process.env.MIGRATE_ENV = saved;
  });

  it('quote only what the shell would split or expand', () => {
    expect(shellWord('runbooks/cognito-migration.yaml')).toBe('runbooks/cognito-migration.yaml');
    expect(shellWord('/tmp/my state')).toBe("'/tmp/my state'");
    expect(shellWord("it's")).toBe("'it'\\''s'");
  });

  it('carry --runbook, --state-dir and --env as given, and --only rather than --from', () => {
    delete process.env.MIGRATE_ENV;
    const flags = globalFlags({ runbook: 'rb.yaml', stateDir: '/var/migrate' }, 'prod', 3);
    expect(flags).toBe(' --runbook rb.yaml --state-dir /var/migrate --env prod');
    expect(runResume('mid', flags, { only: '3' }, '3')).toBe(
      'migrate run mid --runbook rb.yaml --state-dir /var/migrate --env prod --only 3',
    );
    expect(runResume('mid', flags, {}, '4')).toBe('migrate run mid --runbook rb.yaml --state-dir /var/migrate --env prod --from 4');
    expect(runResume('mid', '', {}, '2', 'mid.2')).toBe('migrate run mid --from 2 --reapply mid.2');
    expect(globalFlags({}, 'sandbox', 1)).toBe('');
  });
});
