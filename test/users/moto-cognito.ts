import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll } from 'vitest';
import { cognitoClient, startMoto, tempDir, type Moto } from './helpers.js';

/*
 * One moto, one Cognito client and one temp folder per test file, exported as live bindings:
 * a file calls useMotoCognito() at its top and then uses `moto`, `client` and `tmp` as its own.
 */
export let moto: Moto;
export let client: CognitoIdentityProviderClient;
export let tmp: Awaited<ReturnType<typeof tempDir>>;

export function useMotoCognito(): void {
  beforeAll(async () => {
    moto = await startMoto();
    client = cognitoClient(moto.endpoint);
    tmp = await tempDir();
  });
  afterAll(async () => {
    client?.destroy();
    await moto?.stop();
    await tmp?.cleanup();
  });
}
