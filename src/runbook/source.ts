import { LineCounter, isScalar, parseDocument, visit } from 'yaml';
import type { Document, YAMLError } from 'yaml';
import { RunbookError } from '../errors.js';
import { Locator } from './locate.js';
import { MAX_ALIAS_COUNT, MAX_DEPTH, firstAlias, scanDocument, scanText } from './hostile.js';

export { readRunbookBytes, tooBig } from './read.js';
import type { Problem } from './locate.js';

/**
 * Reading a runbook up to its data: the file, the YAML, the refusals of hostile input. No zod here,
 * so validate's fast path (fast.ts) and the full check (load.ts) share it.
 */

/** Syntax errors after which the document still means what it says, so checking can go on. */
const RECOVERABLE = new Set(['DUPLICATE_KEY']);

/** The document's data, where each part of it was written, and the recoverable problems found so far. */
export interface ParsedYaml {
  data: unknown;
  locator: Locator;
  problems: Problem[];
}

/** The YAML's data; throws the located problems that stop checking (syntax, hostile input, an empty file). */
export function parseYaml(text: string, file: string): ParsedYaml {
  // Before the parser: what would exhaust it, and characters that hide what the text says.
  const early = scanText(text);
  if (early.length > 0) {
    const details = early.map((p) => `${file}:${p.line}:${p.col}  ${p.message}`);
    throw new RunbookError('RUNBOOK_INVALID', `${file}: ${details.length} problem${details.length === 1 ? '' : 's'} in the runbook`, {
      details,
      hint: HINT,
    });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true, merge: true, logLevel: 'error' });
  const locator = new Locator(file, doc, lineCounter, text);

  const problems = doc.errors.map((error) => syntaxProblem(error, doc, locator, lineCounter));
  if (doc.errors.some((e) => !RECOVERABLE.has(e.code))) throw invalid(file, locator, firstPerLine(problems));
  // Unknown tags, prototype keys and deep nesting never reach toJS.
  const hostile = scanDocument(doc, locator, lineCounter);
  if (hostile.length > 0) throw invalid(file, locator, hostile);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // yaml's guard against alias expansion ("billion laughs"): a runbook error, not a bug.
    if (!(error instanceof ReferenceError) || !/alias/i.test(error.message)) throw error;
    const alias = firstAlias(doc);
    const offset = alias?.range?.[0] ?? 0;
    throw invalid(file, locator, [
      {
        path: locator.pathAt(offset).slice(0, MAX_DEPTH),
        pos: lineCounter.linePos(offset),
        message:
          'its aliases (*name) expand to an enormous document (a YAML alias bomb); a runbook needs few aliases, each used a few times',
      },
    ]);
  }
  if (data === null || data === undefined) {
    problems.push({ path: [], message: 'the runbook is empty; it starts with "version: 1" and "name:"' });
    throw invalid(file, locator, problems);
  }
  return { data, locator, problems };
}

/** yaml's message without the position and excerpt it appends (we print the position ourselves). */
function plainMessage(error: YAMLError): string {
  const first = error.message.split('\n')[0] ?? error.message;
  return first.replace(/ at line \d+, column \d+:?$/, '');
}

function syntaxProblem(error: YAMLError, doc: Document, locator: Locator, lines: LineCounter): Problem {
  const offset = error.pos[0];
  const message = `${plainMessage(error)} (YAML)`;
  if (error.code === 'MISSING_CHAR' && /closing .?quote/.test(error.message)) {
    const opened = openQuoteBefore(doc, offset);
    if (opened !== undefined) {
      const at = lines.linePos(opened);
      const ends = error.linePos?.[0] ?? lines.linePos(offset);
      return { path: locator.pathAt(opened), pos: at, message: `unclosed quote: this string runs on to line ${ends.line} (YAML)` };
    }
  }
  const bracket = /end with an? ([\]}])/.exec(error.message)?.[1];
  if (bracket) {
    const opened = openFlowBefore(doc, offset, bracket === '}' ? 'map' : 'seq');
    if (opened !== undefined) {
      return {
        path: locator.pathAt(opened),
        pos: lines.linePos(opened),
        message: `this "${bracket === '}' ? '{' : '['}" is never closed with "${bracket}" (YAML)`,
      };
    }
  }
  const pos = error.linePos?.[0] ?? lines.linePos(offset);
  if (error.code === 'MULTIPLE_DOCS')
    return {
      path: [],
      pos,
      message: 'a second YAML document starts here; a runbook is one document, so remove this "---" and what follows or merge it (YAML)',
    };
  const path = locator.pathAt(offset);
  if (error.code === 'DUPLICATE_KEY' && path.length > 0)
    return { path, pos, message: `duplicate key "${String(path[path.length - 1])}" (YAML keys must be unique)` };
  return { path, pos, message };
}

/** Where the quoted string that never closes begins: the last quoted scalar starting before `offset`. */
function openQuoteBefore(doc: Document, offset: number): number | undefined {
  let start: number | undefined;
  visit(doc, {
    Scalar(_key, node) {
      if (!isScalar(node) || !node.range) return;
      if (
        (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') &&
        node.range[0] < offset &&
        (start === undefined || node.range[0] > start)
      )
        start = node.range[0];
    },
  });
  return start;
}

/** The innermost flow collection (`{...}` or `[...]`) that opens before `offset` and runs past it. */
function openFlowBefore(doc: Document, offset: number, kind: 'map' | 'seq'): number | undefined {
  let start: number | undefined;
  const consider = (node: { flow?: boolean; range?: [number, number, number] | null }) => {
    if (!node.flow || !node.range) return;
    if (node.range[0] < offset && offset <= node.range[2] && (start === undefined || node.range[0] > start)) start = node.range[0];
  };
  visit(doc, kind === 'map' ? { Map: (_k, node) => consider(node) } : { Seq: (_k, node) => consider(node) });
  return start;
}

/** One syntax error often sets off others on the same line; the first one is the one to fix. */
function firstPerLine(problems: Problem[]): Problem[] {
  const seen = new Set<number>();
  return problems.filter((p) => {
    const line = p.pos?.line ?? -1;
    if (seen.has(line)) return false;
    seen.add(line);
    return true;
  });
}

export const HINT =
  'Each line gives file:line:col, the path in the document and what is wrong. `migrate validate` checks the runbook again without calling AWS.';

export function invalid(file: string, locator: Locator, problems: Problem[]): RunbookError {
  const details = locator.detailLines(problems);
  return new RunbookError('RUNBOOK_INVALID', `${file}: ${details.length} problem${details.length === 1 ? '' : 's'} in the runbook`, {
    details,
    hint: HINT,
  });
}
