import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Issue 17: the bundle keeps only the commands this CLI uses of the clients a plan loads, because
 * every import of them goes through src/aws/sdk/. One import of the whole package anywhere in src/
 * would bring every command back into the chunk every command loads.
 */
const FACADED = [
  'client-route-53',
  'client-api-gateway',
  'client-cognito-identity-provider',
  'client-sts',
  'client-cloudfront',
  'client-cloudwatch',
  'client-s3',
];

describe('AWS SDK facades', () => {
  it('src/ imports the AWS SDK clients only through src/aws/sdk/ (types excepted)', () => {
    const offenders: string[] = [];
    for (const file of readdirSync('src', { recursive: true }) as string[]) {
      if (!file.endsWith('.ts') || file.startsWith(join('aws', 'sdk'))) continue;
      const text = readFileSync(join('src', file), 'utf8');
      for (const pkg of FACADED) {
        const dynamic = new RegExp(`(?<!typeof )import\\('@aws-sdk/${pkg}'\\)(?!\\.)`);
        const staticValue = new RegExp(`^import (?!type )[^;]*from '@aws-sdk/${pkg}'`, 'm');
        if (dynamic.test(text) || staticValue.test(text)) offenders.push(`src/${file}: @aws-sdk/${pkg}`);
      }
    }
    expect(offenders, 'import it from src/aws/sdk/<client>.ts instead (add the names you need there)').toEqual([]);
  });
});
