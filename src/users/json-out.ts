/**
 * `JSON.stringify(doc, null, 2)`, byte for byte, handed on in pieces of about `chunk` characters:
 * a diff of 100k users as one string (then one Buffer for stdout) would cost tens of megabytes
 * at once. Arrays and objects are walked down to their elements; each element is stringified on
 * its own and indented to its depth (a JSON string holds no raw newline, so every newline in its
 * text is layout).
 */
export function writeJsonPretty(doc: unknown, emit: (text: string) => void, chunk = 64 * 1024): void {
  let buffered: string[] = [];
  let size = 0;
  const put = (text: string): void => {
    buffered.push(text);
    size += text.length;
    if (size >= chunk) flush();
  };
  const flush = (): void => {
    if (size === 0) return;
    emit(buffered.join(''));
    buffered = [];
    size = 0;
  };
  member(doc, 0, put);
  flush();
}

/** Plain objects and arrays are walked; anything else (toJSON, boxed values, Dates) is JSON.stringify's. */
function isWalkable(value: unknown): value is object {
  if (value === null || typeof value !== 'object') return false;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return Array.isArray(value) || proto === Object.prototype || proto === null;
}

/**
 * One value at `depth`, written unless JSON.stringify would leave it out (undefined, a function);
 * returns whether it wrote. The document and its members are walked; deeper values are stringified whole.
 */
function member(v: unknown, depth: number, put: (t: string) => void, before = ''): boolean {
  if (depth < 2 && isWalkable(v)) {
    if (before) put(before);
    walk(v, depth, put);
    return true;
  }
  const text = JSON.stringify(v, null, 2) as string | undefined;
  if (text === undefined) return false;
  if (before) put(before);
  put(depth === 0 ? text : text.replace(/\n/g, `\n${'  '.repeat(depth)}`));
  return true;
}

function walk(v: object, depth: number, put: (t: string) => void): void {
  const inner = `\n${'  '.repeat(depth + 1)}`;
  const close = `\n${'  '.repeat(depth)}`;
  if (Array.isArray(v)) {
    if (v.length === 0) {
      put('[]');
      return;
    }
    for (let i = 0; i < v.length; i++) {
      const before = `${i === 0 ? '[' : ','}${inner}`;
      // In an array, what JSON.stringify leaves out of an object is written as null.
      if (!member(v[i], depth + 1, put, before)) put(`${before}null`);
    }
    put(`${close}]`);
    return;
  }
  let first = true;
  for (const key of Object.keys(v)) {
    if (member((v as Record<string, unknown>)[key], depth + 1, put, `${first ? '{' : ','}${inner}${JSON.stringify(key)}: `)) first = false;
  }
  put(first ? '{}' : `${close}}`);
}

/** --json of a users command: what printJson writes, without the whole document as one string. */
export function printJsonStreamed(doc: unknown): void {
  writeJsonPretty(doc, (text) => process.stdout.write(text));
  process.stdout.write('\n');
}
