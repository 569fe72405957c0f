/** The Keras-written files of __tests__/fixtures/keras_files/ and their JSON references. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The folder of the files python/keras_file_fixtures.py writes. */
export const KERAS_FILES_DIR = path.join(__dirname, '..', 'fixtures', 'keras_files');

/** What the generator wrote beside each file: Keras's inputs, outputs and next step. */
export interface KerasFileReference {
  keras_version: string;
  compiled: boolean;
  tolerance: number;
  x: number[];
  x_dtype: string;
  y: number[];
  /** Keras's next training step after saving: its targets, and the weights after it. */
  next?: { y_train: number[][]; weights: number[][] };
}

/** The reference of the file `name` (without its suffix). */
export function kerasFileReference(name: string): KerasFileReference {
  const file = path.join(KERAS_FILES_DIR, `${name}.json`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as KerasFileReference;
}

/** The names of the .keras files, without the suffix. */
export const KERAS_FILE_NAMES: readonly string[] = fs
  .readdirSync(KERAS_FILES_DIR)
  .filter((f) => f.endsWith('.keras'))
  .map((f) => f.replace(/\.keras$/, ''));
