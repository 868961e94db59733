import { describe, expect, it } from 'vitest';
import { diffLines, threeWayLines } from '../../src/engine/diff.js';

describe('diffLines', () => {
  it('names each changed field with its old and new value', () => {
    expect(diffLines({ TTL: 300, Type: 'CNAME', keep: 1 }, { TTL: 60, Type: 'CNAME', keep: 1 })).toEqual(['TTL: 300 -> 60']);
    expect(diffLines({ a: null }, { a: 'x', b: [1, 2] })).toEqual(['a: null -> "x"', 'b: (none) -> [1,2]']);
  });

  it('shows a JSON document held in a string field by field, and says where one appears', () => {
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Sid: 'Deny', Effect: 'Deny', Resource: ['execute-api:/prod/POST/*'] }],
    });
    const lines = diffLines({ policy: null }, { policy });
    expect(lines[0]).toBe('policy: null -> (JSON document)');
    expect(lines).toContain('policy.Statement[0].Effect: (none) -> "Deny"');
    expect(lines).toContain('policy.Statement[0].Resource: (none) -> ["execute-api:/prod/POST/*"]');
    expect(diffLines({ policy }, { policy })).toEqual([]);
  });
});

describe('threeWayLines', () => {
  it('lists only fields where live differs from what migrate left, with all three values', () => {
    expect(threeWayLines({ v: 'old', t: 1 }, { v: 'new', t: 1 }, { v: 'hand', t: 1 })).toEqual([
      'v:',
      '    before (checkpoint): "old"',
      '    after  (checkpoint): "new"',
      '    live   (now):        "hand"',
    ]);
    expect(threeWayLines({ v: 'old' }, { v: 'new' }, { v: 'new' })).toEqual([]);
  });
});
