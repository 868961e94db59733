import { describe, expect, it } from 'vitest';
import { writeJsonPretty } from '../../src/users/json-out.js';

function streamed(doc: unknown, chunk?: number): { text: string; pieces: number } {
  let text = '';
  let pieces = 0;
  writeJsonPretty(
    doc,
    (t) => {
      text += t;
      pieces++;
    },
    chunk,
  );
  return { text, pieces };
}

describe('writeJsonPretty', () => {
  it('writes exactly what JSON.stringify(doc, null, 2) does', () => {
    const docs: unknown[] = [
      {
        userPoolId: 'eu-west-2_AbC',
        counts: { exportRows: 3, valid: 2 },
        missing: [{ username: 'a@x.uk', position: 'r.json users[0]', enabled: true, groups: ['g1', 'g2'] }],
        onlyInCognito: [],
        differences: [{ username: 'b@x.uk', differences: [{ field: 'given_name', export: 'B', cognito: undefined }] }],
        invalid: [{ position: 'line 2\nnext', reason: 'quote " and \u2028 and \\' }],
        skipped: undefined,
        fn: () => 1,
        when: new Date(0),
        custom: { toJSON: () => ({ replaced: [1, { deep: [2, [3]] }] }) },
        sparse: [undefined, () => 1, null, Symbol('s'), Number.NaN, -0, 1e21],
        nested: { a: { b: { c: { d: [] } } }, e: {} },
        'key "quoted"\n': 'value',
      },
      [],
      {},
      [[[]], {}, [{}]],
      'text',
      42,
      null,
      true,
      Object.assign(Object.create(null) as object, { a: 1 }),
    ];
    for (const doc of docs) {
      for (const chunk of [1, 7, 64 * 1024]) expect(streamed(doc, chunk).text).toBe(JSON.stringify(doc, null, 2));
    }
  });

  it('hands a large document on in pieces of about the chunk size', () => {
    const doc = { missing: Array.from({ length: 5000 }, (_, i) => ({ username: `u${i}@x.uk`, position: `users[${i}]`, groups: [] })) };
    const { text, pieces } = streamed(doc, 16 * 1024);
    expect(text).toBe(JSON.stringify(doc, null, 2));
    expect(pieces).toBeGreaterThan(text.length / (17 * 1024));
  });
});
