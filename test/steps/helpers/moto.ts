import { startMoto } from '../../../src/sandbox/moto.js';
import type { MotoServer } from '../../../src/sandbox/moto.js';

/**
 * moto for one test file, with the sandbox launcher's patches for the gaps moto 5.2.1 has (UpdateAuthorizer
 * on providerARNs, TestDNSAnswer, ListDistributions summaries, CreateDeployment keeping the stage ...).
 * The SDK finds it through AWS_ENDPOINT_URL, as migrate's users point it at the sandbox.
 */
export async function startTestMoto(): Promise<MotoServer> {
  const moto = await startMoto();
  process.env.AWS_ENDPOINT_URL = moto.url;
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  process.env.AWS_REGION = 'eu-west-2';
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  return moto;
}

/** A name no other test in the same moto uses. */
export function unique(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}
