import { canonicalJson } from '../util/json.js';

/**
 * A JSON document held in a string (a resource policy): returned parsed, so a preview shows its
 * fields rather than one long line cut off before the part that matters. AWS sends such documents
 * with their quotes escaped, so that reading is tried too.
 */
function embeddedDocument(text: string): object | undefined {
  const t = text.trim();
  if (!t.startsWith('{') && !t.startsWith('[')) return undefined;
  for (const read of [() => JSON.parse(t) as unknown, () => JSON.parse(JSON.parse(`"${t}"`) as string) as unknown]) {
    try {
      const doc = read();
      if (doc && typeof doc === 'object' && Object.keys(doc).length > 0) return doc;
    } catch {
      // not this reading
    }
  }
  return undefined;
}

/** Flattens JSON into path -> scalar text, so two states can be compared field by field. */
export function flatten(value: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  const doc = typeof value === 'string' ? embeddedDocument(value) : undefined;
  if (doc) {
    // Marks where the document starts, so a policy that appears or goes reads "null -> (document)".
    out.set(prefix || '(value)', '(JSON document)');
    flatten(doc, prefix, out);
  } else if (Array.isArray(value) && value.length > 0 && value.some((v) => v && typeof v === 'object')) {
    for (const [i, item] of value.entries()) flatten(item, `${prefix}[${i}]`, out);
  } else if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) flatten(v, prefix ? `${prefix}.${key}` : key, out);
    }
  } else {
    out.set(prefix || '(value)', value === undefined ? '(none)' : canonicalJson(value));
  }
  return out;
}

const MAX_TEXT = 160;
function short(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

/** "field: old -> new" lines for every field that differs. */
export function diffLines(before: unknown, after: unknown): string[] {
  const a = flatten(before);
  const b = flatten(after);
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  const lines: string[] = [];
  for (const key of keys) {
    const was = a.get(key);
    const now = b.get(key);
    if (was === now) continue;
    lines.push(`${key}: ${short(was ?? '(none)')} -> ${short(now ?? '(none)')}`);
  }
  return lines;
}

/** The drift view: for each field that moved, what we found before, what we left, what is live now. */
export function threeWayLines(before: unknown, after: unknown, live: unknown): string[] {
  const a = flatten(before);
  const b = flatten(after);
  const c = flatten(live);
  const keys = [...new Set([...a.keys(), ...b.keys(), ...c.keys()])].sort();
  const lines: string[] = [];
  for (const key of keys) {
    if (b.get(key) === c.get(key)) continue;
    lines.push(
      `${key}:`,
      `    before (checkpoint): ${short(a.get(key) ?? '(none)')}`,
      `    after  (checkpoint): ${short(b.get(key) ?? '(none)')}`,
      `    live   (now):        ${short(c.get(key) ?? '(none)')}`,
    );
  }
  return lines;
}
