import { describe, expect, it } from 'vitest';
import { UsersArrayScanner } from '../../src/users/json-scanner.js';

function scan(text: string, chunkSize: number): string[] {
  const s = new UsersArrayScanner();
  const out: string[] = [];
  for (let i = 0; i < text.length; i += chunkSize) out.push(...s.feed(text.slice(i, i + chunkSize)));
  s.finish();
  return out;
}

const doc = JSON.stringify(
  {
    realm: 'lin',
    'us\\"ers': [{ email: 'decoy@x.uk' }],
    roles: { realm: [{ name: 'users', users: [1, 2] }] },
    note: 'a "users": [ string } with ] brackets {',
    users: [
      { email: 'a@b.uk', attributes: { DBC: ['1-1', '}]'] }, firstName: 'Zoë \\ "Q"' },
      { email: 'c@d.uk', nested: [[{}], { users: [] }] },
      'not an object',
      42,
      null,
    ],
    after: { users: 'no' },
  },
  null,
  1,
);

describe('UsersArrayScanner', () => {
  it('yields exactly the elements of the top-level users array, at any chunk size', () => {
    const expected = (JSON.parse(doc) as { users: unknown[] }).users;
    for (const size of [1, 2, 3, 7, 64, doc.length]) {
      expect(
        scan(doc, size).map((t) => JSON.parse(t) as unknown),
        `chunk size ${size}`,
      ).toEqual(expected);
    }
  });

  it('drops a byte-order mark', () => {
    expect(scan(`\uFEFF{"users":[{"email":"x@y.uk"}]}`, 5)).toEqual(['{"email":"x@y.uk"}']);
  });

  it('reports a document cut short, and one that is not an object', () => {
    expect(() => scan('{"users":[{"email":"x@y.uk"},{"em', 4)).toThrow(/cut short/);
    expect(() => scan('[{"users":[]}]', 4)).toThrow(/not a JSON object/);
    expect(() => scan('{"users":[]} trailing', 4)).toThrow(/not a JSON object/);
  });

  it('counts users arrays so a realm export without users can be told apart', () => {
    const s = new UsersArrayScanner();
    s.feed('{"realm":"lin","clients":[]}');
    s.finish();
    expect(s.usersArrays).toBe(0);
  });
});
