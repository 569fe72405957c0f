/** The checks of a callback that writes a CSV file (CSVLogger, GradientNormLogger). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ValueError } from '../errors';

/** The file a callback writes: its name and, for an option, the option's key. */
export interface CsvFileArg {
  /** The file name as given. */
  readonly name: unknown;
  /**
   * The option that gave it (GradientNormLogger's `filename`), which the messages name; none
   * for a constructor's own argument (CSVLogger's `filename`).
   */
  readonly key?: string;
}

/**
 * `separator` as one character, else an error; then, with `file`, that it is a file name whose
 * folder exists, else an error naming the folder.
 */
export function checkCsvFile(subject: string, separator: unknown, file?: CsvFileArg): string {
  if (typeof separator !== 'string' || separator.length !== 1) {
    throw new ValueError(
      `${subject}: expected \`separator\` to be one character, received ${JSON.stringify(separator)}.`,
    );
  }
  if (file === undefined) return separator;
  const { name, key } = file;
  if (typeof name !== 'string' || name === '') {
    const expected = key === undefined ? 'a file name' : `\`${key}\` to be a file name`;
    throw new ValueError(`${subject}: expected ${expected}, received ${JSON.stringify(name)}.`);
  }
  const folder = path.dirname(path.resolve(name));
  if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) {
    throw new ValueError(
      key === undefined
        ? `${subject}: the folder '${folder}' of '${name}' does not exist.`
        : `${subject}: the folder '${folder}' of \`${key}\` '${name}' does not exist; create it first.`,
    );
  }
  return separator;
}
