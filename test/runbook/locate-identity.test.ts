import { isAlias, isMap, isNode, isScalar, isSeq, parseDocument, visit } from 'yaml';
import { describe, expect, it } from 'vitest';
import { yamlIs } from '../../src/runbook/locate.js';

describe("locate.ts's yaml node tests", () => {
  it("answer as yaml's own for every kind of node, and for what is not a node", () => {
    const doc = parseDocument('a: &x [1, { b: "c" }]\nd: *x\ne:\n  - f\n  - null\n');
    const nodes: unknown[] = [doc, doc.contents, null, undefined, 1, 'x', {}, []];
    visit(doc, (_key, node) => {
      nodes.push(node);
    });
    expect(nodes.length).toBeGreaterThan(12);
    for (const node of nodes) {
      expect(yamlIs.alias(node)).toBe(isAlias(node));
      expect(yamlIs.map(node)).toBe(isMap(node));
      expect(yamlIs.scalar(node)).toBe(isScalar(node));
      expect(yamlIs.seq(node)).toBe(isSeq(node));
      expect(yamlIs.node(node)).toBe(isNode(node));
    }
  });
});
