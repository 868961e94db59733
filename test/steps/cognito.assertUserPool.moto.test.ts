import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MotoServer } from '../../src/sandbox/moto.js';
import { assertUserPool } from '../../src/steps/cognito.assertUserPool.js';
import { RunbookError } from '../../src/errors.js';
import { testContext } from './helpers/context.js';
import { startTestMoto } from './helpers/moto.js';
import { seedUserPool } from './helpers/seed.js';

let moto: MotoServer;
beforeAll(async () => {
  moto = await startTestMoto();
});
afterAll(async () => {
  await moto?.stop();
});

const MIG = 'arn:aws:lambda:eu-west-2:123456789012:function:tis-user-migration';
const PRE = 'arn:aws:lambda:eu-west-2:123456789012:function:tis-pre-token';

async function judge(raw: Record<string, unknown>): Promise<string[] | 'pass'> {
  const p = assertUserPool.params.parse(raw);
  const state = await assertUserPool.read(testContext(), p);
  try {
    assertUserPool.plan(state, p);
    return 'pass';
  } catch (error) {
    if (error instanceof RunbookError && error.code === 'ASSERTION_FAILED') return error.details;
    throw error;
  }
}

describe('cognito.assertUserPool against moto (plan pre 1a-1d)', () => {
  it('passes for a pool configured as the plan says', async () => {
    const pool = await seedUserPool(testContext(), {
      triggers: { UserMigration: MIG, PreTokenGeneration: PRE },
      from: 'TIS <no-reply@tis.nhs.uk>',
      clients: ['admins-ui', 'reval'],
    });
    const all = {
      passwordPolicy: 'default',
      triggers: { userMigration: true, preTokenGeneration: PRE },
      appClients: ['admins-ui'],
      emailFrom: 'no-reply@tis.nhs.uk',
    };
    expect(await judge({ userPoolName: pool.name, ...all })).toBe('pass');
    expect(await judge({ userPoolId: pool.id, ...all })).toBe('pass');
  });

  it('fails field by field for a pool that is not', async () => {
    const pool = await seedUserPool(testContext(), { minLength: 6, triggers: { PreTokenGeneration: PRE }, clients: ['reval'] });
    expect(
      await judge({
        userPoolName: pool.name,
        passwordPolicy: 'default',
        triggers: { userMigration: MIG, preTokenGeneration: true },
        appClients: ['admins-ui'],
        emailFrom: 'no-reply@tis.nhs.uk',
      }),
    ).toEqual([
      '  passwordPolicy.minimumLength: expected 8, found 6',
      `  triggers.userMigration: expected ${MIG}, found (not set)`,
      '  appClients: expected a client named "admins-ui", found reval',
      "  emailFrom: expected an address containing no-reply@tis.nhs.uk, found (not set: Cognito's own address, COGNITO_DEFAULT)",
    ]);
  });

  it('fails clearly for a pool that does not exist', async () => {
    await expect(judge({ userPoolName: 'no-such-pool' })).rejects.toMatchObject({
      code: 'ASSERTION_FAILED',
      message: 'no Cognito user pool named "no-such-pool" in eu-west-2',
    });
    await expect(judge({ userPoolId: 'eu-west-2_nosuchpool' })).rejects.toMatchObject({
      code: 'ASSERTION_FAILED',
      message: 'Cognito user pool eu-west-2_nosuchpool does not exist in eu-west-2',
    });
  });
});
