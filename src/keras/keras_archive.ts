/**
 * A Keras 3 `.keras` file: a zip of metadata.json, config.json and model.weights.h5 (stored, in
 * that order, as Keras writes it). Read whole and checked before anything is built.
 */
import * as fs from 'node:fs';
import { unzipSync } from 'fflate';
import { type H5Dataset, readH5Datasets } from './h5_weights';
import { KerasJsonError, errorMessage } from './keras_json';

/** What a `.keras` file holds. */
export interface KerasArchive {
  /** config.json, parsed. */
  readonly config: unknown;
  /** metadata.json, parsed (keras_version, date_saved). */
  readonly metadata: unknown;
  /** model.weights.h5's datasets by path. */
  readonly weights: Map<string, H5Dataset>;
}

const CONFIG = 'config.json';
const METADATA = 'metadata.json';
const WEIGHTS = 'model.weights.h5';

/** The bytes of the file at `path`, refused by name when missing or not a file (`kind`). */
export function readFileBytes(subject: string, path: string, kind: string): Uint8Array {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(path);
  } catch {
    throw new KerasJsonError(`${subject}: no file '${path}'. Check the path.`);
  }
  if (!stat.isFile()) {
    throw new KerasJsonError(`${subject}: '${path}' is not a file; expected ${kind}.`);
  }
  return fs.readFileSync(path);
}

function parseJson(subject: string, path: string, member: string, bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
  } catch (err) {
    throw new KerasJsonError(
      `${subject}: ${member} in '${path}' is not JSON: ${errorMessage(err)}.`,
    );
  }
}

/** Reads and checks a `.keras` file; every error names the file and what is wrong. */
export async function readKerasArchive(subject: string, path: string): Promise<KerasArchive> {
  const bytes = readFileBytes(subject, path, 'a .keras file');
  let members: Partial<Record<string, Uint8Array>>;
  try {
    members = unzipSync(bytes);
  } catch (err) {
    throw new KerasJsonError(
      `${subject}: '${path}' is not a Keras 3 .keras file: not a readable zip (${errorMessage(err)}); a truncated or corrupt file reads like this too.`,
    );
  }
  const member = (name: string): Uint8Array => {
    const found = members[name];
    if (found === undefined) {
      const held = Object.keys(members).join(', ') || 'nothing';
      throw new KerasJsonError(
        `${subject}: '${path}' has no ${name}; a .keras file holds ${METADATA}, ${CONFIG} and ${WEIGHTS}, this one ${held}.`,
      );
    }
    return found;
  };
  const config = member(CONFIG);
  const weights = member(WEIGHTS);
  const metadata = members[METADATA];
  return {
    config: parseJson(subject, path, CONFIG, config),
    metadata: metadata === undefined ? {} : parseJson(subject, path, METADATA, metadata),
    weights: await readH5Datasets(weights, `${subject}: ${WEIGHTS} in '${path}'`),
  };
}
