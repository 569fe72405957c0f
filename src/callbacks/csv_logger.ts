/**
 * Keras's `CSVLogger`: one line per epoch in a CSV file, `epoch` (0-based) then the logs sorted
 * by name, with the `val_` columns added (as `NA`) when there is no validation, as Keras writes
 * it (keras/src/callbacks/csv_logger.py, 3.15). Each line is written as the epoch ends.
 */
import * as fs from 'node:fs';
import type { Callback, Logs } from '../models/training';
import { optionKeys } from '../option_keys';
import { checkFlag } from './callback_args';
import { checkCsvFile } from './csv_file';
import { pythonFloat } from './python_format';

/** Options of CSVLogger (Keras's arguments after `filename`). */
export interface CSVLoggerArgs {
  /** Between the columns. Default: ','. */
  separator?: string;
  /** Add to an existing file (its header kept) rather than start a new one. Default: false. */
  append?: boolean;
}

/** The keys of CSVLoggerArgs. */
export const CSV_LOGGER_OPTIONS = optionKeys<CSVLoggerArgs>({ separator: true, append: true });

/** A value as Python's csv module writes a float (`repr`), or `NA`. */
function cell(value: number | undefined): string {
  return value === undefined ? 'NA' : pythonFloat(value);
}

/** Keras's `keras.callbacks.CSVLogger`. */
export class CSVLogger implements Callback {
  private readonly separator: string;
  private readonly append: boolean;
  private keys: string[] | null = null;

  /** @param filename the CSV file; its folder must exist. */
  constructor(
    readonly filename: string,
    args: CSVLoggerArgs = {},
  ) {
    const subject = 'CSVLogger';
    CSV_LOGGER_OPTIONS.check(subject, args);
    this.separator = checkCsvFile(subject, args.separator ?? ',', { name: filename });
    this.append = checkFlag(subject, 'append', args.append ?? false);
  }

  onTrainBegin(): void {
    this.keys = null;
    if (!this.append || !fs.existsSync(this.filename)) fs.writeFileSync(this.filename, '');
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    if (this.keys === null) {
      const keys = Object.keys(logs).sort();
      if (keys.length > 0 && !keys.some((k) => k.startsWith('val_'))) {
        keys.push(...keys.map((k) => `val_${k}`));
      }
      this.keys = keys;
      // Keras writes the header unless it appends to a file that already has a first line.
      const existing = fs.readFileSync(this.filename, 'utf8');
      if (existing.length === 0) {
        fs.appendFileSync(this.filename, `${['epoch', ...keys].join(this.separator)}\r\n`);
      }
    }
    const row = [String(epoch), ...this.keys.map((k) => cell(logs[k]))];
    fs.appendFileSync(this.filename, `${row.join(this.separator)}\r\n`);
  }
}
