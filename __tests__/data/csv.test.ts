import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCsv, readCsv } from '../../src/data/csv';

const SAMPLE = 'date,open,close\n2000-01-03,1469.25,1455.22\n2000-01-04,1455.22,1399.42\n';

describe('readCsv', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'csv-test-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the columns of the schema, typed', () => {
    const path = join(dir, 'prices.csv');
    writeFileSync(path, SAMPLE);
    const { date, open } = readCsv(path, { date: 'string', open: 'number' });
    expect(date).toEqual(['2000-01-03', '2000-01-04']);
    expect(open).toEqual([1469.25, 1455.22]);
  });

  it('reads the S&P 500 file of vega-datasets', () => {
    const path = join(__dirname, '../../node_modules/vega-datasets/data/sp500-2000.csv');
    const { date, open } = readCsv(path, { date: 'string', open: 'number' });
    expect(open.length).toBeGreaterThan(5000);
    expect(date.length).toBe(open.length);
    expect(date[0]).toBe('2000-01-03');
    expect(open[0]).toBeCloseTo(1469.25, 6);
  });

  it.each([
    [
      'a missing file',
      'missing.csv',
      /readCsv: cannot read the file '.*missing\.csv': no such file \(ENOENT\)\./,
    ],
    ['a directory', '.', /readCsv: cannot read the file '.*': it is a directory \(EISDIR\)\./],
  ])('names the file and the reason for %s', (_what, name, message) => {
    expect(() => readCsv(join(dir, name), { open: 'number' })).toThrow(message);
  });
});

describe('parseCsv', () => {
  it('handles quotes, CRLF, a BOM, blank lines and a missing final newline', () => {
    const text = '\uFEFFname,value\r\n"Smith, J.","1,5"\r\n\r\n"say ""hi""",2';
    expect(parseCsv(text, { name: 'string', value: 'string' })).toEqual({
      name: ['Smith, J.', 'say "hi"'],
      value: ['1,5', '2'],
    });
  });

  it('reads numbers with surrounding spaces, exponents and signs', () => {
    const { v } = parseCsv('v\n 1.5 \n-2e3\n+0.25\n', { v: 'number' });
    expect(v).toEqual([1.5, -2000, 0.25]);
  });

  it('takes another delimiter', () => {
    expect(parseCsv('a;b\n1;2\n', { b: 'number' }, { delimiter: ';' })).toEqual({ b: [2] });
  });

  it('returns empty columns for a header without rows', () => {
    expect(parseCsv('a,b\n', { a: 'number' })).toEqual({ a: [] });
  });

  it.each([
    ['an empty text', '', { a: 'number' }, /is empty; expected a header row/],
    [
      'a missing column (listing the others)',
      'date,open\n1,2\n',
      { price: 'number' },
      /the CSV text has no column 'price'\. Its columns are: 'date', 'open'\./,
    ],
    [
      'several missing columns',
      'date,open\n1,2\n',
      { a: 'number', open: 'number', b: 'string' },
      /no column 'a', 'b'\./,
    ],
    [
      'a non-numeric value (line, row and column)',
      'date,open\n2000-01-03,1\n2000-01-04,n/a\n',
      { open: 'number' },
      /line 3 \(data row 2\), column 'open': expected a number, received "n\/a"\./,
    ],
    [
      'an empty numeric value',
      'date,open\nx,\n',
      { open: 'number' },
      /line 2 \(data row 1\), column 'open': expected a number, received ""\./,
    ],
    ['an infinite value', 'open\nInfinity\n', { open: 'number' }, /received "Infinity"/],
    [
      'a row with too few fields',
      'a,b,c\n1,2,3\n4,5\n',
      { a: 'number' },
      /line 3 \(data row 2\) has 2 fields; the header has 3\./,
    ],
    [
      'a row with too many fields',
      'a\n1,2\n',
      { a: 'number' },
      /line 2 \(data row 1\) has 2 fields; the header has 1\./,
    ],
    ['a duplicated header name', 'a,a\n1,2\n', { a: 'number' }, /has the column 'a' twice/],
    [
      'an unclosed quote',
      'a\n"1\n2\n',
      { a: 'string' },
      /line 2 opens a quoted field that is never closed/,
    ],
    ['an empty schema', 'a\n1\n', {}, /expected a schema naming at least one column/],
  ])('rejects %s', (_what, text, schema, message) => {
    expect(() => parseCsv(text, schema as Record<string, 'number' | 'string'>)).toThrow(message);
  });

  it.each([
    [
      'a bad column type',
      { a: 'int' },
      {},
      /type of column 'a' to be 'number' or 'string', received "int"/,
    ],
    ['a long delimiter', { a: 'number' }, { delimiter: ';;' }, /`delimiter` to be one character/],
    [
      'a quote as delimiter',
      { a: 'number' },
      { delimiter: '"' },
      /`delimiter` to be one character/,
    ],
  ])('rejects %s', (_what, schema, options, message) => {
    expect(() =>
      parseCsv('a\n1\n', schema as unknown as Record<string, 'number'>, options),
    ).toThrow(message);
  });

  it('names the file in errors from readCsv', () => {
    expect(() => parseCsv('a\nx\n', { a: 'number' }, { source: "'prices.csv'" })).toThrow(
      /readCsv: 'prices\.csv' line 2/,
    );
  });
});
