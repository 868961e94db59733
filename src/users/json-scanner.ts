/**
 * An incremental scanner that finds the elements of the top-level `"users"` array of a JSON
 * document fed to it in chunks. It holds at most one element's text (plus one short key) at a
 * time, so a realm export of any size streams through in constant memory. It checks only the
 * structure it needs (strings, nesting); each element's own syntax is left to JSON.parse.
 */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Where the scanner is in the top-level object. */
type TopState = 'start' | 'key' | 'colon' | 'value' | 'afterValue' | 'done';

export class JsonScanError extends Error {
  override name = 'JsonScanError';
}

export class UsersArrayScanner {
  private depth = 0;
  private inString = false;
  private escape = false;
  private top: TopState = 'start';
  private key: string[] | undefined;
  private keyStart = -1;
  private lastKey = '';
  /** True while inside the users array (its own depth is 2). */
  private inUsers = false;
  private element: string[] | undefined;
  private elementStart = -1;
  private elementIsScalar = false;
  private first = true;
  /** Number of users arrays seen, so a document without one is reported. */
  usersArrays = 0;
  /** Characters read so far, for error messages (never the text itself: it may hold secrets). */
  offset = 0;

  /** Feeds the next chunk; returns the text of every element that ended in it. */
  feed(chunk: string): string[] {
    const out: string[] = [];
    let s = chunk;
    if (this.first) {
      this.first = false;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    const n = s.length;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (c === BACKSLASH) this.escape = true;
        else if (c === QUOTE) {
          this.inString = false;
          if (this.key) this.endKey(s, i);
        } else {
          // Skip the plain run of a string quickly: most of a user's text is inside strings.
          let j = i + 1;
          while (j < n) {
            const d = s.charCodeAt(j);
            if (d === QUOTE || d === BACKSLASH) break;
            j++;
          }
          i = j - 1;
        }
        continue;
      }
      if (this.element && this.elementIsScalar && this.depth === 2 && (c === COMMA || c === RBRACKET || isSpace(c))) {
        out.push(this.endElement(s, i));
      }
      if (isSpace(c)) continue;
      switch (c) {
        case QUOTE:
          this.inString = true;
          if (this.depth === 1 && this.top === 'key') {
            this.key = [];
            this.keyStart = i;
          } else if (this.inUsers && this.depth === 2 && !this.element) {
            this.startElement(i, true);
          } else if (this.depth === 1 && this.top === 'value') this.top = 'afterValue';
          break;
        case LBRACE:
        case LBRACKET:
          if (this.depth === 0) {
            if (c !== LBRACE || this.top !== 'start') throw this.error('the export is not a JSON object with a "users" array');
            this.top = 'key';
          } else if (this.depth === 1) {
            if (this.top !== 'value') throw this.error('malformed JSON in the top-level object');
            if (c === LBRACKET && this.lastKey === 'users') {
              this.inUsers = true;
              this.usersArrays++;
            }
            this.top = 'afterValue';
          } else if (this.inUsers && this.depth === 2 && !this.element) {
            this.startElement(i, false);
          }
          this.depth++;
          break;
        case RBRACE:
        case RBRACKET:
          this.depth--;
          if (this.depth < 0) throw this.error('unbalanced brackets');
          if (this.depth === 0) this.top = 'done';
          else if (this.depth === 1 && this.inUsers) this.inUsers = false;
          else if (this.depth === 2 && this.element && !this.elementIsScalar) out.push(this.endElement(s, i + 1));
          break;
        case COLON:
          if (this.depth === 1) {
            if (this.top !== 'colon') throw this.error('malformed JSON in the top-level object');
            this.top = 'value';
          }
          break;
        case COMMA:
          if (this.depth === 1) this.top = 'key';
          break;
        default:
          if (this.depth === 0) throw this.error('the export is not a JSON object with a "users" array');
          if (this.depth === 1 && this.top === 'value') this.top = 'afterValue';
          else if (this.inUsers && this.depth === 2 && !this.element) this.startElement(i, true);
      }
    }
    if (this.key && this.keyStart >= 0) this.key.push(s.slice(this.keyStart));
    if (this.element) this.element.push(s.slice(this.elementStart));
    this.keyStart = this.key ? 0 : -1;
    this.elementStart = 0;
    this.offset += n;
    return out;
  }

  /** Call at the end of input; throws if the document was cut short. */
  finish(): void {
    if (this.top !== 'done' || this.inString || this.depth !== 0) {
      throw this.error('the export ends before its JSON is complete (was the file cut short?)');
    }
  }

  private startElement(i: number, scalar: boolean): void {
    this.element = [];
    this.elementStart = i;
    this.elementIsScalar = scalar;
  }

  private endElement(s: string, end: number): string {
    const parts = this.element ?? [];
    parts.push(s.slice(this.elementStart, end));
    this.element = undefined;
    this.elementStart = -1;
    return parts.length === 1 ? parts[0]! : parts.join('');
  }

  private endKey(s: string, i: number): void {
    const parts = this.key ?? [];
    parts.push(s.slice(this.keyStart, i + 1));
    this.key = undefined;
    this.keyStart = -1;
    try {
      this.lastKey = JSON.parse(parts.join('')) as string;
    } catch {
      throw this.error('malformed key in the top-level object');
    }
    this.top = 'colon';
  }

  private error(message: string): JsonScanError {
    return new JsonScanError(`${message} (near character ${this.offset})`);
  }
}
