import { describe, expect, it } from 'vitest';
import { CsvParser } from '../../src/users/csv.js';

function parse(text: string, chunkSize = text.length || 1): { fields: string[]; line: number }[] {
  const p = new CsvParser();
  const out = [];
  for (let i = 0; i < text.length; i += chunkSize) out.push(...p.feed(text.slice(i, i + chunkSize)));
  out.push(...p.finish());
  return out;
}

describe('CsvParser (RFC 4180)', () => {
  const text = '\uFEFFemail,firstName,note\r\na@b.uk,"Smith, Jo","said ""hi""\r\nand left"\r\n\r\nc@d.uk,Zoë,\r\n"e@f.uk",,"x"';
  const expected = [
    { fields: ['email', 'firstName', 'note'], line: 1 },
    { fields: ['a@b.uk', 'Smith, Jo', 'said "hi"\r\nand left'], line: 2 },
    { fields: ['c@d.uk', 'Zoë', ''], line: 5 },
    { fields: ['e@f.uk', '', 'x'], line: 6 },
  ];

  it('handles quoted commas, doubled quotes, newlines in quotes, CRLF, BOM and blank lines at any chunk size', () => {
    for (const size of [1, 2, 3, 5, 1000]) expect(parse(text, size), `chunk ${size}`).toEqual(expected);
  });

  it('takes LF and lone CR line ends too', () => {
    expect(parse('a,b\nc,d\re,f\n')).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['c', 'd'], line: 2 },
      { fields: ['e', 'f'], line: 3 },
    ]);
  });

  it('rejects a quote that is never closed and a stray quote', () => {
    expect(() => parse('a,"b\nc')).toThrow(/never closed/);
    expect(() => parse('a,b"c"\n')).toThrow(/quote inside an unquoted field/);
    expect(() => parse('a,"b"c\n')).toThrow(/after a closing quote/);
  });
});
