/**
 * Reading a CSV file with a header row into typed columns, as `pandas.read_csv(path)[['open']]`
 * does for the course's stock-price example.
 *
 *   const { date, open } = readCsv('sp500.csv', { date: 'string', open: 'number' });
 *
 * Only the columns named in the schema are returned, each as a plain array of its type. Fields
 * may be quoted (`"1,234"`, `""` inside quotes is one `"`); lines end in `\n` or `\r\n`; a UTF-8
 * byte-order mark and blank lines are ignored.
 */
import { readFileSync } from 'node:fs';
import { ValueError, formatNames } from '../errors';
import { optionKeys } from '../option_keys';

/** The type a column is read as: `'number'` (every value must parse as a finite number) or `'string'`. */
export type CsvColumnType = 'number' | 'string';

/** Which columns to read and as what: `{ date: 'string', open: 'number' }`. */
export type CsvSchema = Readonly<Record<string, CsvColumnType>>;

/** The columns of a schema, each an array of its type: `{ date: string[], open: number[] }`. */
export type CsvColumns<S extends CsvSchema> = {
  [K in keyof S]: S[K] extends 'number' ? number[] : string[];
};

/** Options of `readCsv` and `parseCsv`. */
export interface CsvOptions {
  /** The field separator, one character. Default: ','. */
  delimiter?: string;
}

/** The keys of CsvOptions. */
const CSV_OPTIONS = optionKeys<CsvOptions>({ delimiter: true });

/**
 * Reads the CSV file at `path` (header row first) and returns the columns named in `schema`.
 *
 * Throws, before returning anything, when the file cannot be read, has no header, a row has a
 * different number of fields than the header, a schema column is missing (the message lists
 * the columns there are), or a value of a `'number'` column is not a finite number (the message
 * names the line, the row and the column).
 */
export function readCsv<S extends CsvSchema>(
  path: string,
  schema: S,
  options: CsvOptions = {},
): CsvColumns<S> {
  CSV_OPTIONS.check('readCsv', options);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ValueError(`readCsv: cannot read the file '${path}': ${readFailure(err)}.`);
  }
  return parseCsv(text, schema, { ...options, source: `'${path}'` });
}

const READ_FAILURES: Readonly<Partial<Record<string, string>>> = {
  ENOENT: 'no such file',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/** Why reading a file failed, in words, with the system's code: `no such file (ENOENT)`. */
function readFailure(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return `${READ_FAILURES[code] ?? 'read error'} (${code})`;
  return String((err as { message?: unknown } | null)?.message ?? err);
}

/** Options of `parseCsv`. */
export interface ParseCsvOptions extends CsvOptions {
  /** What the text is, for error messages: a file name in quotes, for example. Default: 'the CSV text'. */
  source?: string;
}

/** The keys of ParseCsvOptions. */
const PARSE_CSV_OPTIONS = CSV_OPTIONS.extend<ParseCsvOptions>({ source: true });

/** Parses CSV text (header row first) into the columns named in `schema`; see `readCsv`. */
export function parseCsv<S extends CsvSchema>(
  text: string,
  schema: S,
  options: ParseCsvOptions = {},
): CsvColumns<S> {
  PARSE_CSV_OPTIONS.check('parseCsv', options);
  const source = options.source ?? 'the CSV text';
  const delimiter = options.delimiter ?? ',';
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new ValueError(
      `readCsv: expected \`delimiter\` to be one character other than a quote or a line break, received ${JSON.stringify(delimiter)}.`,
    );
  }
  const wanted = Object.keys(schema);
  if (wanted.length === 0) {
    throw new ValueError('readCsv: expected a schema naming at least one column, received {}.');
  }
  for (const name of wanted) {
    const type: unknown = schema[name];
    if (type !== 'number' && type !== 'string') {
      throw new ValueError(
        `readCsv: expected the type of column '${name}' to be 'number' or 'string', received ${JSON.stringify(type)}.`,
      );
    }
  }

  const rows = splitRows(text, delimiter, source);
  const header = rows.at(0);
  if (header === undefined) {
    throw new ValueError(`readCsv: ${source} is empty; expected a header row naming the columns.`);
  }
  const names = header.fields.map((f) => f.trim());
  const indexOf = new Map<string, number>();
  names.forEach((name, i) => {
    if (indexOf.has(name)) {
      throw new ValueError(`readCsv: ${source} has the column '${name}' twice in its header.`);
    }
    indexOf.set(name, i);
  });
  const missing = wanted.filter((name) => !indexOf.has(name));
  if (missing.length > 0) {
    throw new ValueError(
      `readCsv: ${source} has no column ${formatNames(missing)}. Its columns are: ${formatNames(names)}.`,
    );
  }

  const out: Record<string, number[] | string[]> = {};
  for (const name of wanted) out[name] = [];
  rows.slice(1).forEach((row, r) => {
    if (row.fields.length !== names.length) {
      throw new ValueError(
        `readCsv: ${source} line ${row.line} (data row ${r + 1}) has ${plural(row.fields.length, 'field')}; the header has ${names.length}.`,
      );
    }
    for (const name of wanted) {
      const raw = row.fields[indexOf.get(name) ?? -1] ?? '';
      const column = out[name] ?? [];
      if (schema[name] === 'number') {
        (column as number[]).push(parseNumber(raw, source, row.line, r + 1, name));
      } else {
        (column as string[]).push(raw);
      }
    }
  });
  return out as CsvColumns<S>;
}

function parseNumber(raw: string, source: string, line: number, row: number, column: string) {
  const trimmed = raw.trim();
  const value = trimmed === '' ? Number.NaN : Number(trimmed);
  if (!Number.isFinite(value)) {
    throw new ValueError(
      `readCsv: ${source} line ${line} (data row ${row}), column '${column}': expected a number, received ${JSON.stringify(raw)}.`,
    );
  }
  return value;
}

interface CsvRow {
  /** 1-based line of the file where the row starts. */
  line: number;
  fields: string[];
}

/** Splits CSV text into rows of fields, honouring quotes. Drops a BOM and blank lines. */
function splitRows(text: string, delimiter: string, source: string): CsvRow[] {
  const s = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let rowLine = 1;
  let quoted = false;
  let quoteLine = 0;
  let i = 0;
  const endRow = () => {
    // Blank lines are skipped, as pandas does.
    if (fields.length > 0 || field !== '') {
      fields.push(field);
      rows.push({ line: rowLine, fields });
    }
    fields = [];
    field = '';
  };
  while (i < s.length) {
    const c = s[i];
    if (quoted) {
      if (c === '"') {
        if (s[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      i++;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      quoteLine = line;
    } else if (c === delimiter) {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else {
      field += c;
    }
    i++;
  }
  if (quoted) {
    throw new ValueError(
      `readCsv: ${source} line ${quoteLine} opens a quoted field that is never closed.`,
    );
  }
  if (field !== '' || fields.length > 0) endRow();
  return rows;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
