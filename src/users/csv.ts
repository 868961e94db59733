/**
 * A streaming RFC 4180 CSV parser: comma-separated fields, records ended by CRLF, LF or CR,
 * double-quoted fields that may hold commas, newlines and doubled quotes. A leading BOM is dropped.
 */
export interface CsvRecord {
  fields: string[];
  /** The 1-based line the record starts on. */
  line: number;
}

export class CsvParseError extends Error {
  override name = 'CsvParseError';
}

export class CsvParser {
  private fields: string[] = [];
  private field = '';
  private inQuotes = false;
  /** A quote seen inside a quoted field: the next character says whether it ends or escapes. */
  private quotePending = false;
  /** The field was quoted (so an empty line with "" is still a record). */
  private quoted = false;
  private afterCr = false;
  private crInQuotes = false;
  private line = 1;
  private recordLine = 1;
  private first = true;

  feed(chunk: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    let s = chunk;
    if (this.first && s.length > 0) {
      this.first = false;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    let runStart = -1;
    const flushRun = (end: number): void => {
      if (runStart >= 0) {
        this.field += s.slice(runStart, end);
        runStart = -1;
      }
    };
    for (let i = 0; i < s.length; i++) {
      const ch = s[i]!;
      if (this.afterCr) {
        this.afterCr = false;
        if (ch === '\n') continue;
      }
      if (this.inQuotes) {
        if (this.quotePending) {
          this.quotePending = false;
          if (ch === '"') {
            this.field += '"';
            continue;
          }
          this.inQuotes = false;
          this.crInQuotes = false;
          // fall through: the character after a closing quote is handled as unquoted
        } else if (ch === '"') {
          flushRun(i);
          this.quotePending = true;
          this.crInQuotes = false;
          continue;
        } else {
          // A CRLF inside quotes is one line, even when a chunk ends between the two.
          if (ch === '\r' || (ch === '\n' && !this.crInQuotes)) this.line++;
          this.crInQuotes = ch === '\r';
          if (runStart < 0) runStart = i;
          continue;
        }
      }
      if (ch === ',') {
        flushRun(i);
        this.endField();
      } else if (ch === '\n' || ch === '\r') {
        flushRun(i);
        this.endField();
        const record = this.endRecord();
        if (record) out.push(record);
        this.line++;
        this.recordLine = this.line;
        if (ch === '\r') this.afterCr = true;
      } else if (ch === '"') {
        if (this.field.length > 0 || runStart >= 0 || this.quoted)
          throw new CsvParseError(`line ${this.line}: a quote inside an unquoted field (quote the whole field and double the quote)`);
        this.inQuotes = true;
        this.quoted = true;
      } else if (runStart < 0) {
        if (this.quoted) throw new CsvParseError(`line ${this.line}: text after a closing quote`);
        runStart = i;
      }
    }
    flushRun(s.length);
    return out;
  }

  /** The last record, if the input did not end with a newline. */
  finish(): CsvRecord[] {
    if (this.inQuotes && !this.quotePending) throw new CsvParseError(`line ${this.recordLine}: a quoted field is never closed`);
    this.inQuotes = false;
    this.quotePending = false;
    this.endField();
    const record = this.endRecord();
    return record ? [record] : [];
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = '';
    this.quoted = false;
  }

  private endRecord(): CsvRecord | undefined {
    const fields = this.fields;
    this.fields = [];
    if (fields.length === 1 && fields[0] === '') return undefined; // a blank line
    return { fields, line: this.recordLine };
  }
}
