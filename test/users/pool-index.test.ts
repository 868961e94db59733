import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffUsers } from '../../src/users/diff.js';
import { openExport } from '../../src/users/export-reader.js';
import { comparedAttributes, type UsersMapping } from '../../src/users/mapping.js';
import { compare } from '../../src/users/plan.js';
import { PoolIndex, poolKey, type CognitoUsers, type PoolEntry } from '../../src/users/pool.js';
import { tempDir } from './helpers.js';

const mapping: UsersMapping = {
  userPool: 'p',
  attributes: { DBC: 'custom:dbc' },
  groups: { RevalAdmin: 'reval-admins' },
  rate: 40,
  concurrency: 4,
} as UsersMapping;
const compared = comparedAttributes(mapping);

const entries: PoolEntry[] = [
  // A pool that signs in by email: UUID usernames, the key is the email.
  {
    username: '0b7c2c0e-4b7e-4f7e-9a55-1d2b3c4d5e6f',
    enabled: true,
    attrs: JSON.stringify({ email: 'a@example.nhs.uk', email_verified: 'true', given_name: 'Ann', 'custom:dbc': '1-X,1-Y' }),
  },
  { username: 'b@example.nhs.uk', enabled: false, attrs: JSON.stringify({ email: 'b@example.nhs.uk', family_name: 'Bee' }) },
  // The username in another case than the key; a value equal to the key that is not the email.
  { username: 'C@Example.nhs.uk', enabled: true, attrs: JSON.stringify({ given_name: 'c@example.nhs.uk' }) },
  // Values with the characters the packing must survive.
  {
    username: 'd@example.nhs.uk',
    enabled: true,
    attrs: JSON.stringify({ email: 'd@example.nhs.uk', given_name: 'NUL \u0000 "quote" \\ , [0] null', family_name: '' }),
  },
  { username: 'no-email-user', enabled: true, attrs: '{}' },
];

describe('PoolIndex', () => {
  it('gives back every entry as listUsers made it, in order, with the same differences', () => {
    const index = new PoolIndex(compared);
    const plain = new Map<string, PoolEntry>();
    for (const e of entries) {
      index.set(poolKey(e), e);
      plain.set(poolKey(e), e);
    }
    expect(index.size).toBe(plain.size);
    expect([...index].map(([k]) => k)).toEqual([...plain.keys()]);
    for (const [key, e] of plain) {
      const got = index.get(key)!;
      expect(got.username).toBe(e.username);
      expect(got.enabled).toBe(e.enabled);
      expect(JSON.parse(got.attrs)).toEqual(JSON.parse(e.attrs));
      expect(index.has(key)).toBe(true);
      const user = { username: key, position: 'p', enabled: true, attributes: { email: key, given_name: 'Ann' }, groups: [] };
      expect(compare(user, got, compared)).toEqual(compare(user, e, compared));
    }
    expect(index.get('nobody@example.nhs.uk')).toBeUndefined();
  });

  it('diff gives the same result through the packed index as through a map of entries', async () => {
    const tmp = await tempDir();
    try {
      const file = join(tmp.dir, 'realm.json');
      await writeFile(
        file,
        JSON.stringify({
          users: [
            { username: 'a', email: 'A@example.nhs.uk', firstName: 'Ann', emailVerified: true, attributes: { DBC: ['1-X', '1-Y'] } },
            { username: 'b', email: 'b@example.nhs.uk', lastName: 'Bee', enabled: true, groups: ['/RevalAdmin'] },
            { username: 'e', email: 'e@example.nhs.uk', firstName: 'Eve' },
            { username: 'bad', email: 'not-an-email' },
            { username: 'service-account-x', serviceAccountClientId: 'x' },
          ],
        }),
      );
      const api = {
        userPoolId: 'eu-west-2_Test',
        schemaAttributes: async () => new Set(['email', 'custom:dbc']),
        groupNames: async () => new Set(['reval-admins']),
      } as unknown as CognitoUsers;
      const index = new PoolIndex(compared);
      const plain = new Map<string, PoolEntry>();
      for (const e of entries) {
        index.set(poolKey(e), e);
        plain.set(poolKey(e), e);
      }
      const source = await openExport(file);
      const packed = await diffUsers({ source, api, mapping, pool: index });
      const reference = await diffUsers({ source, api, mapping, pool: plain as unknown as PoolIndex });
      expect(packed).toEqual(reference);
      expect(packed.counts).toMatchObject({ missing: 1, onlyInCognito: 3, differing: 1, same: 1, invalid: 1 });
    } finally {
      await tmp.cleanup();
    }
  });
});
