/**
 * Writing one file the way Keras's savers should: the target's folder must exist and the target
 * must not be a folder (checked before any work), and the bytes go to a temporary file beside the
 * target that is renamed over it, so that a failed write leaves an earlier file intact and
 * nothing half-written.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ValueError } from '../errors';
import { errorMessage } from './keras_json';

/** Throws unless `file`'s folder exists and `file` is absent or a file. */
export function checkFileTarget(subject: string, file: string): void {
  const parent = path.dirname(path.resolve(file));
  if (!fs.existsSync(parent) || !fs.statSync(parent).isDirectory()) {
    throw new ValueError(`${subject}: the folder '${parent}' of '${file}' does not exist.`);
  }
  if (fs.existsSync(file) && !fs.statSync(file).isFile()) {
    throw new ValueError(`${subject}: '${file}' exists and is not a file.`);
  }
}

/** Writes `bytes` to `file` through a temporary file beside it, renamed into place. */
export async function writeFileAtomically(
  subject: string,
  file: string,
  bytes: Uint8Array,
): Promise<void> {
  const parent = path.dirname(path.resolve(file));
  const tmp = path.join(parent, `.${path.basename(file)}.saving-${process.pid}-${Date.now()}`);
  try {
    await fs.promises.writeFile(tmp, bytes);
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw new ValueError(`${subject}: could not write '${file}': ${errorMessage(err)}`);
  }
}
