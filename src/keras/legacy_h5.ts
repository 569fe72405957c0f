/**
 * Legacy `.h5` model files, as tf.keras 2 wrote them (`model.save("m.h5")`) and as Keras 3's
 * legacy writer still does: the model's JSON in the root attribute `model_config`, its weights in
 * `model_weights/<layer>/`, each layer's listed in order by its `weight_names` attribute
 * (`<model>/<layer>/<cell>/kernel`; tf.keras 2 adds `:0`), the layers with weights matched to
 * the model's in order, as Keras's legacy loader matches them. Tested on files from Keras 3's
 * legacy writer: tf.keras 2 (tf-keras) cannot be installed here to write its own.
 */
import type { Sequential } from '../models/sequential';
import type { CompileArgs } from '../models/compile';
import { type H5Dataset, type H5Tree, readH5Tree } from './h5_weights';
import { readFileBytes } from './keras_archive';
import { functionalChainAsSequential } from './functional_chain';
import { compileArgsFromKeras } from './keras_compile';
import { KerasJsonError, isJsonObject } from './keras_json';
import type { KerasModel, KerasModelLayer } from './keras_model';
import {
  type KerasWeightSlot,
  type KerasWeightValues,
  loadWeightsIntoSlots,
} from './keras_weights';
import { finishLoadedModel } from './loaded_model';
import { modelFromKeras } from './model_from_keras';

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
}

/**
 * Loads a legacy `.h5` model file; see loadKerasModel. A compiled one comes back compiled, with
 * its optimizer's state (`optimizer_weights/`), unless `compile` is false.
 */
export async function loadLegacyH5Model(
  subject: string,
  path: string,
  compile: boolean,
): Promise<Sequential> {
  const where = `${subject}: '${path}'`;
  const tree = await readH5Tree(readFileBytes(subject, path, 'an .h5 model file'), where);
  const root = tree.attributes.get('');
  const modelConfig = root?.get('model_config');
  if (typeof modelConfig !== 'string') {
    throw new KerasJsonError(
      `${where}: no \`model_config\` attribute: a weights-only file, not a model file (load it with loadWeights into a model built for it).`,
    );
  }
  const compileArgs = compile ? legacyCompileArgs(where, root?.get('training_config')) : undefined;
  const keras = root?.get('keras_version');
  let config: unknown;
  try {
    config = JSON.parse(modelConfig) as unknown;
  } catch {
    throw new KerasJsonError(`${where}: its \`model_config\` is not JSON.`);
  }
  if (isJsonObject(config) && config.class_name === 'Functional') {
    config = functionalChainAsSequential(where, config);
  }
  let built: KerasModel;
  try {
    built = modelFromKeras(
      { ...(config as object), ...(typeof keras === 'string' ? { keras_version: keras } : {}) },
      { initializeWeights: false },
    );
  } catch (err) {
    throw err instanceof KerasJsonError ? new KerasJsonError(`${where}: ${err.message}`) : err;
  }
  try {
    loadLegacyLayerWeights(where, tree, 'model_weights/', built.layers);
  } catch (err) {
    built.model.dispose();
    throw err;
  }
  return finishLoadedModel(where, built, compileArgs, () => legacyOptimizerWeights(where, tree));
}

/** `training_config` (a compiled model's) as `compile` arguments; undefined when not compiled. */
/**
 * Loads a legacy HDF5 weights group into `layers` (a model's, in order): the group is
 * `model_weights/` in a model file and the root (`''`) in a weights file (tf.keras 2's
 * `save_weights("w.h5")`). Its layers that have weights, listed by its `layer_names` attribute,
 * are matched in order with those of `layers` that have weights, and each one's datasets are
 * read in the order of its `weight_names`, as Keras's legacy loader reads them. Every shape is
 * checked before any weight is written.
 */
export function loadLegacyLayerWeights(
  where: string,
  tree: H5Tree,
  prefix: '' | 'model_weights/',
  layers: readonly KerasModelLayer[],
): void {
  const group = prefix === '' ? '' : prefix.slice(0, -1);
  const layerNames = stringList(tree.attributes.get(group)?.get('layer_names')) ?? [];
  const saved = layerNames
    .map((name) => ({
      name,
      weightNames: stringList(tree.attributes.get(`${prefix}${name}`)?.get('weight_names')) ?? [],
    }))
    .filter((l) => l.weightNames.length > 0);
  const withWeights = layers.filter((l) => l.layer.weights.length > 0);
  if (saved.length !== withWeights.length) {
    throw new KerasJsonError(
      `${where}: the file holds weights for ${saved.length} layers (${saved.map((l) => l.name).join(', ') || 'none'}); the model has ${withWeights.length} layers with weights.`,
    );
  }
  const slots: KerasWeightSlot[] = [];
  const values: KerasWeightValues[] = [];
  withWeights.forEach((owner, i) => {
    for (const variable of owner.layer.weights) slots.push({ variable, owner });
    for (const weightName of saved[i].weightNames) {
      const datasetPath = `${prefix}${saved[i].name}/${weightName}`;
      const d = tree.datasets.get(datasetPath);
      if (d === undefined) {
        throw new KerasJsonError(`${where}: no dataset '${datasetPath}', which its layer lists.`);
      }
      values.push({ name: datasetPath, shape: d.shape, data: d.data });
    }
  });
  try {
    loadWeightsIntoSlots(slots, values);
  } catch (err) {
    throw err instanceof KerasJsonError ? new KerasJsonError(`${where}: ${err.message}`) : err;
  }
}

function legacyCompileArgs(where: string, trainingConfig: unknown): CompileArgs | undefined {
  if (trainingConfig === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed =
      typeof trainingConfig === 'string' ? (JSON.parse(trainingConfig) as unknown) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!isJsonObject(parsed)) {
    throw new KerasJsonError(`${where}: its \`training_config\` is not a JSON object.`);
  }
  // The same keys as a .keras file's compile_config, with the optimizer as `optimizer_config`.
  const { optimizer_config: optimizer, ...rest } = parsed;
  return compileArgsFromKeras(where, { ...rest, optimizer });
}

/**
 * The optimizer's variables of `optimizer_weights/`, in the order of its `weight_names`
 * attribute (iterations, learning rate, then the slots as Keras lists them), keyed as a
 * .keras file's `optimizer/vars/<i>` for restoreOptimizerState.
 */
function legacyOptimizerWeights(where: string, tree: H5Tree): Map<string, H5Dataset> {
  const names = stringList(tree.attributes.get('optimizer_weights')?.get('weight_names')) ?? [];
  return new Map(
    names.map((name, i) => {
      const d = tree.datasets.get(`optimizer_weights/${name}`);
      if (d === undefined) {
        throw new KerasJsonError(
          `${where}: no dataset 'optimizer_weights/${name}', which it lists.`,
        );
      }
      return [`optimizer/vars/${i}`, d];
    }),
  );
}
