import { RunbookError } from '../../errors.js';
import { canonicalJson } from '../../util/json.js';

export const HTTP_METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** Statement ids this tool owns in a REST API's resource policy; anything else is left as found. */
export const ALLOW_SID = 'MigrateAllowInvoke';
export const DENY_SID = 'MigrateDenyMethods';

type Statement = Record<string, unknown>;
interface PolicyDocument {
  Version?: string;
  Statement?: Statement | Statement[];
  [key: string]: unknown;
}

/**
 * A resource policy as API Gateway returns it. AWS answers GetRestApi with the document's quotes
 * escaped (`{\"Version\":...}`), emulators with plain JSON: both are read here. Undefined when the
 * text is no JSON document at all.
 */
export function parsePolicy(text: string): PolicyDocument | undefined {
  const attempts = [() => JSON.parse(text) as unknown, () => JSON.parse(JSON.parse(`"${text}"`) as string) as unknown];
  for (const attempt of attempts) {
    try {
      let value = attempt();
      if (typeof value === 'string') value = JSON.parse(value) as unknown;
      if (value && typeof value === 'object' && !Array.isArray(value)) return value as PolicyDocument;
    } catch {
      // try the next reading
    }
  }
  return undefined;
}

/**
 * The text to send so that GetRestApi gives `stored` back: what was read is sent as it was, unless
 * it is the escaped form AWS answers with, which is sent unescaped (AWS would reject it otherwise).
 */
export function policyToSend(stored: string): string {
  try {
    JSON.parse(stored);
    return stored;
  } catch {
    try {
      const unescaped = JSON.parse(`"${stored}"`) as string;
      JSON.parse(unescaped);
      return unescaped;
    } catch {
      return stored;
    }
  }
}

const asArray = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** API Gateway stores "execute-api:/stage/GET/*" as a full ARN; compare in the short form. */
function shortResource(resource: unknown): unknown {
  return typeof resource === 'string' ? resource.replace(/^arn:aws[\w-]*:execute-api:[^:]*:[^:]*:[^/]+\//, 'execute-api:/') : resource;
}

function canonicalStatement(s: Statement): Statement {
  const out: Statement = { ...s };
  for (const key of ['Action', 'NotAction', 'Resource', 'NotResource']) {
    if (out[key] === undefined) continue;
    const values = asArray(out[key]).map(key.endsWith('Resource') ? shortResource : (v: unknown) => v);
    out[key] = values.map((v) => (typeof v === 'string' ? v : canonicalJson(v))).sort();
  }
  return out;
}

/** A policy's meaning as text: equal for documents that differ only in escaping, spacing, order of lists or ARN shorthand. */
export function normalizePolicy(text: string | null): string | null {
  if (text === null || text === '') return null;
  const doc = parsePolicy(text);
  if (!doc) return text;
  return canonicalJson({ ...doc, Statement: asArray(doc.Statement).map((s) => canonicalStatement(s as Statement)) });
}

export function deniedMethods(allow: readonly HttpMethod[]): HttpMethod[] {
  return HTTP_METHODS.filter((m) => !allow.includes(m));
}

/**
 * The live policy with this tool's statements replaced: an explicit Deny of the given methods on the
 * stage, and, when nothing else in the policy grants access, an Allow of everything else (a REST API
 * with a resource policy refuses whatever the policy does not allow). Denying nothing lifts the
 * restriction: this tool's statements go, and a policy left empty is removed (null).
 */
export function restrictedPolicy(current: string | null, stage: string, deny: readonly HttpMethod[]): string | null {
  let doc: PolicyDocument = { Version: '2012-10-17' };
  if (current !== null && current !== '') {
    const parsed = parsePolicy(current);
    if (!parsed) {
      throw new RunbookError('STEP_FAILED', "the REST API's resource policy is not a JSON document, so a Deny cannot be added to it", {
        hint: 'Look at the policy in the console (API Gateway > Resource policy) and fix or remove it, then run again.',
      });
    }
    doc = parsed;
  }
  const kept = asArray(doc.Statement).filter((s) => {
    const sid = (s as Statement).Sid;
    return sid !== ALLOW_SID && sid !== DENY_SID;
  }) as Statement[];
  if (deny.length === 0) return kept.length === 0 ? null : JSON.stringify({ ...doc, Statement: kept });
  const statements: Statement[] = [...kept];
  if (kept.length === 0)
    statements.push({ Sid: ALLOW_SID, Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/*' });
  statements.push({
    Sid: DENY_SID,
    Effect: 'Deny',
    Principal: '*',
    Action: 'execute-api:Invoke',
    Resource: deny.map((m) => `execute-api:/${stage}/${m}/*`),
  });
  return JSON.stringify({ ...doc, Version: doc.Version ?? '2012-10-17', Statement: statements });
}
