/**
 * Writing output files whole: into a temporary file next to the target, then renamed over it,
 * so a reader never sees half a file and a failed run leaves no partial file behind.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Creates `dir` (and its parents) if needed and returns it. */
export function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Writes `data` to `path` through a temporary file and a rename; returns `path`. */
export function writeFileAtomic(path: string, data: string | Uint8Array): string {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  return path;
}
