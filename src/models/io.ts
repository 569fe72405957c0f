/**
 * Saving and loading in tfjs's file format (`model.json` with `modelTopology` and
 * `weightsManifest`, plus `weights.bin`) with Node's fs, on any backend.
 *
 * A save writes into a fresh temporary directory beside the target and renames it into place,
 * so a failed save leaves neither a partial model nor a damaged previous one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors';

/** The topology file's name. */
export const MODEL_JSON = 'model.json';
/** The weights file's name. */
export const WEIGHTS_BIN = 'weights.bin';

function errorText(err: unknown): string {
  // Not `instanceof Error`: errors from Node's fs may come from another realm (jest's vm).
  if (typeof err === 'object' && err !== null && 'message' in err) return String(err.message);
  return String(err);
}

async function statOrNull(p: string): Promise<fs.Stats | null> {
  try {
    return await fs.promises.stat(p);
  } catch {
    return null;
  }
}

/** Throws unless `target` is absent, or a directory holding only a previous save. */
async function checkReplaceable(subject: string, target: string): Promise<boolean> {
  const stat = await statOrNull(target);
  if (stat === null) return false;
  if (!stat.isDirectory()) {
    throw new ValueError(
      `${subject}: expected a directory path for the model, but ${target} exists and is not a directory.`,
    );
  }
  const entries = await fs.promises.readdir(target);
  const foreign = entries.filter((e) => e !== MODEL_JSON && e !== WEIGHTS_BIN);
  if (foreign.length > 0) {
    throw new ValueError(
      `${subject}: refusing to replace ${target}: it holds files other than a saved model (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}). Choose an empty or new directory.`,
    );
  }
  return true;
}

/**
 * Refuses a save path naming an HDF5 file: Keras 3 writes a legacy `.h5` model there, which
 * this package does not write, and `.weights.h5` is `saveWeights`' (a folder of that name would
 * surprise everyone).
 */
export function refuseLegacySavePath(subject: string, target: string): void {
  if (target.endsWith('.weights.h5')) {
    throw new ValueError(
      `${subject}: '${target}' names a weights file; write it with saveWeights('${target}'), or save the whole model to a path ending in .keras.`,
    );
  }
  if (target.endsWith('.h5') || target.endsWith('.hdf5')) {
    throw new ValueError(
      `${subject}: writing legacy HDF5 model files ('${target}') is not built; save to a path ending in .keras (Keras 3 and this package load it), or to a directory for tfjs's format.`,
    );
  }
}

/** The model.json object tfjs's file format holds for these artifacts. */
function modelJson(artifacts: tf.io.ModelArtifacts): tf.io.ModelJSON {
  const json: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology ?? {},
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.trainingConfig !== undefined) json.trainingConfig = artifacts.trainingConfig;
  if (artifacts.userDefinedMetadata !== undefined) {
    json.userDefinedMetadata = artifacts.userDefinedMetadata;
  }
  return json;
}

/**
 * The first of `dir`'s ancestors that does not exist (null when its parent exists); throws when
 * an ancestor is a file.
 */
async function firstMissingAncestor(subject: string, target: string): Promise<string | null> {
  let missing: string | null = null;
  for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
    const stat = await statOrNull(dir);
    if (stat !== null) {
      if (!stat.isDirectory()) {
        throw new ValueError(
          `${subject}: cannot save to ${target}: ${dir} is a file, not a directory.`,
        );
      }
      return missing;
    }
    missing = dir;
    if (path.dirname(dir) === dir) return missing;
  }
}

/**
 * Writes `model.json` and `weights.bin` into `dir` atomically: into a temporary sibling first,
 * then renamed into place. A previous save in `dir` is replaced only once the new one is whole.
 * Missing parent directories are created, as tfjs's `file://` saver creates them, and removed
 * again when the save fails: nothing half-written remains.
 */
export async function writeModelDir(
  subject: string,
  dir: string,
  artifacts: tf.io.ModelArtifacts,
): Promise<void> {
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const created = await firstMissingAncestor(subject, target);
  const replacing = created === null && (await checkReplaceable(subject, target));
  if (created !== null) {
    try {
      await fs.promises.mkdir(parent, { recursive: true });
    } catch (err) {
      await fs.promises.rm(created, { recursive: true, force: true });
      throw new ValueError(`${subject}: cannot create ${parent}: ${errorText(err)}`);
    }
  }
  try {
    await writeInto(target, parent, replacing, artifacts);
  } catch (err) {
    if (created !== null) await fs.promises.rm(created, { recursive: true, force: true });
    throw new ValueError(`${subject}: could not write the model to ${target}: ${errorText(err)}`);
  }
}

/** The atomic write itself (see writeModelDir): a temporary sibling, then renamed into place. */
async function writeInto(
  target: string,
  parent: string,
  replacing: boolean,
  artifacts: tf.io.ModelArtifacts,
): Promise<void> {
  const weights =
    artifacts.weightData === undefined
      ? new ArrayBuffer(0)
      : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
  const tmp = await fs.promises.mkdtemp(path.join(parent, `.${path.basename(target)}.saving-`));
  let old: string | null = null;
  try {
    await fs.promises.writeFile(path.join(tmp, WEIGHTS_BIN), new Uint8Array(weights));
    await fs.promises.writeFile(path.join(tmp, MODEL_JSON), JSON.stringify(modelJson(artifacts)));
    if (replacing) {
      old = `${tmp}.old`;
      await fs.promises.rename(target, old);
    }
    await fs.promises.rename(tmp, target);
  } catch (err) {
    await fs.promises.rm(tmp, { recursive: true, force: true });
    if (old !== null && (await statOrNull(target)) === null) {
      await fs.promises.rename(old, target);
    }
    throw err;
  }
  if (old !== null) await fs.promises.rm(old, { recursive: true, force: true });
}

function bytesPerElement(dtype: string): number {
  return dtype === 'float16' ? 2 : dtype === 'bool' || dtype === 'uint8' ? 1 : 4;
}

/** Reads the artifacts that `writeModelDir` (or tfjs-node's `file://` saver) wrote. */
export async function readModelDir(subject: string, dir: string): Promise<tf.io.ModelArtifacts> {
  const target = path.resolve(dir);
  const jsonPath = path.join(target, MODEL_JSON);
  let text: string;
  try {
    text = await fs.promises.readFile(jsonPath, 'utf8');
  } catch (err) {
    throw new ValueError(`${subject}: cannot read ${jsonPath}: ${errorText(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ValueError(`${subject}: ${jsonPath} is not valid JSON: ${errorText(err)}`);
  }
  if (
    typeof json !== 'object' ||
    json === null ||
    !('modelTopology' in json) ||
    !('weightsManifest' in json) ||
    !Array.isArray(json.weightsManifest)
  ) {
    throw new ValueError(
      `${subject}: ${jsonPath} is not a tfjs layers model: expected 'modelTopology' and 'weightsManifest'.`,
    );
  }
  const modelJSON = json as tf.io.ModelJSON;
  return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
    const buffers: ArrayBuffer[] = [];
    for (const group of manifest) {
      for (const file of group.paths) {
        const filePath = path.join(target, file);
        let data: Buffer;
        try {
          data = await fs.promises.readFile(filePath);
        } catch (err) {
          throw new ValueError(`${subject}: cannot read ${filePath}: ${errorText(err)}`);
        }
        buffers.push(new Uint8Array(data).buffer);
      }
    }
    const specs = tf.io.getWeightSpecs(manifest);
    const joined = tf.io.CompositeArrayBuffer.join(buffers);
    const expected = specs.reduce(
      (sum, s) =>
        s.quantization === undefined
          ? sum + s.shape.reduce((a, b) => a * b, 1) * bytesPerElement(s.dtype)
          : Number.NaN,
      0,
    );
    if (!Number.isNaN(expected) && joined.byteLength !== expected) {
      throw new ValueError(
        `${subject}: the weights of ${target} hold ${joined.byteLength} bytes, but ${MODEL_JSON} describes ${expected}: the files are damaged or from different saves.`,
      );
    }
    return [specs, joined];
  });
}

function checkDir(subject: string, dir: unknown): string {
  if (typeof dir !== 'string' || dir === '') {
    throw new ValueError(`${subject}: expected a directory path, received ${JSON.stringify(dir)}.`);
  }
  return dir;
}

/** Saves a tfjs model's topology and weights into `dir` (see `writeModelDir`). */
export async function saveModel(
  subject: string,
  model: tf.LayersModel,
  dir: string,
): Promise<void> {
  const target = checkDir(subject, dir);
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      await writeModelDir(subject, target, artifacts);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}

/** Loads the tf.Sequential saved in `dir`; our layer classes deserialize under their Keras names. */
export async function loadSequentialModel(subject: string, dir: string): Promise<tf.Sequential> {
  const artifacts = await readModelDir(subject, checkDir(subject, dir));
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  if (!(loaded instanceof tf.Sequential)) {
    loaded.dispose();
    throw new ValueError(
      `${subject}: ${dir} holds a ${loaded.getClassName()} model; only Sequential models load as Sequential.`,
    );
  }
  return loaded;
}
