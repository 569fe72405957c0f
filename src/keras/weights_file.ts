/**
 * Keras 3 weights files (`model.save_weights("m.weights.h5")`, `model.load_weights(...)`): the
 * model's weights, and its optimizer's state when compiled, in the layout of weights_layout.ts.
 * Saving writes the whole file next to the target and renames it into place.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors';
import { Bidirectional } from '../layers/rnn/bidirectional';
import { RecurrentCellBase } from '../layers/rnn/cell';
import { RNN } from '../layers/rnn/rnn';
import type { Sequential } from '../models/sequential';
import { isKerasOptimizer } from '../optimizers/optimizer';
import {
  type H5DatasetToWrite,
  type H5GroupToWrite,
  readH5Datasets,
  readH5Tree,
  writeH5,
} from './h5_weights';
import { checkFileTarget, writeFileAtomically } from './file_target';
import { readFileBytes } from './keras_archive';
import { kerasSlotOrder, restoreOptimizerState } from './keras_compile';
import { KerasJsonError } from './keras_json';
import { loadLegacyLayerWeights } from './legacy_h5';
import { type KerasWeightSlot, loadWeightsIntoSlots } from './keras_weights';
import { cellGroupNames, listGroupNames, weightsInLayerOrder } from './weights_layout';

const SUFFIX = '.weights.h5';

/** The Keras class a layer of this package saves as: `StackedRNN` is Keras's `RNN`. */
function kerasClassOf(layer: tf.layers.Layer): string {
  const name = layer.getClassName();
  return name === 'StackedRNN' ? 'RNN' : name;
}

/** Groups and weights (by dataset path) of one layer, in Keras's layout. */
interface LayerLayout {
  groups: H5GroupToWrite[];
  weights: { path: string; variable: tf.LayerVariable }[];
}

function varsOf(
  out: LayerLayout,
  group: string,
  owner: string,
  variables: tf.LayerVariable[],
): void {
  out.groups.push({ path: `${group}/vars`, name: owner });
  variables.forEach((variable, i) => out.weights.push({ path: `${group}/vars/${i}`, variable }));
}

function cellWeights(subject: string, cell: unknown): tf.LayerVariable[] {
  if (!(cell instanceof RecurrentCellBase)) {
    throw new ValueError(`${subject}: a recurrent cell of another class than this package's.`);
  }
  return cell.weights;
}

function rnnLayout(subject: string, out: LayerLayout, group: string, rnn: RNN): void {
  const cells = rnn.cells;
  out.groups.push({ path: `${group}/cell` });
  if (cells.length === 1) {
    varsOf(out, `${group}/cell`, cells[0].name, cellWeights(subject, cells[0]));
  } else {
    out.groups.push({ path: `${group}/cell/vars`, name: 'stacked_rnn_cells' });
    out.groups.push({ path: `${group}/cell/cells` });
    const names = cellGroupNames(rnn);
    cells.forEach((cell, i) => {
      const cellGroup = `${group}/cell/cells/${names[i]}`;
      out.groups.push({ path: cellGroup });
      varsOf(out, cellGroup, cell.name, cellWeights(subject, cell));
    });
  }
  varsOf(out, group, rnn.name, []);
}

function layerLayout(subject: string, group: string, layer: tf.layers.Layer): LayerLayout {
  const out: LayerLayout = { groups: [{ path: group }], weights: [] };
  if (layer instanceof Bidirectional) {
    for (const [part, rnn] of [
      ['forward_layer', layer.forwardLayer],
      ['backward_layer', layer.backwardLayer],
    ] as const) {
      out.groups.push({ path: `${group}/${part}` });
      rnnLayout(subject, out, `${group}/${part}`, rnn);
    }
    varsOf(out, group, layer.name, []);
  } else if (layer instanceof RNN) {
    rnnLayout(subject, out, group, layer);
  } else if (layer.getClassName() === 'TimeDistributed') {
    throw new ValueError(`${subject}: TimeDistributed layers in a weights file are not built yet.`);
  } else {
    varsOf(out, group, layer.name, layer.weights);
  }
  return out;
}

function checkPath(subject: string, file: string): void {
  if (!file.endsWith(SUFFIX)) {
    throw new ValueError(
      `${subject}: expected a path ending in ${SUFFIX}, as Keras 3 requires, received '${file}'.`,
    );
  }
}

function layerGroups(model: Sequential): string[] {
  return listGroupNames(model.layers.map(kerasClassOf)).map((g) => `layers/${g}`);
}

/** The optimizer's variables as Keras lists them, or none when the model is not compiled. */
async function optimizerDatasets(
  subject: string,
  model: Sequential,
): Promise<{ groups: H5GroupToWrite[]; datasets: H5DatasetToWrite[] }> {
  const optimizer = model.optimizer;
  if (optimizer === null) return { groups: [], datasets: [] };
  if (!isKerasOptimizer(optimizer)) {
    throw new ValueError(
      `${subject}: the model's optimizer (${optimizer.getClassName()}) is not one of this package's Keras optimizers, whose state Keras can read.`,
    );
  }
  const named = await optimizer.getWeights();
  const byName = new Map(named.map((w) => [w.name, w.tensor]));
  // getWeights makes a new tensor of the iteration count (the slots are the optimizer's own).
  const iterations = named[0].tensor.dataSync()[0];
  named[0].tensor.dispose();
  const datasets: H5DatasetToWrite[] = [
    { path: 'optimizer/vars/0', shape: [], data: BigInt64Array.of(BigInt(iterations)) },
    { path: 'optimizer/vars/1', shape: [], data: Float32Array.of(optimizer.learningRate) },
  ];
  if (named.length > 1) {
    const trainable = model.trainableWeights;
    kerasSlotOrder(subject, optimizer, trainable.length).forEach(({ variable, slot }, i) => {
      const tensor = byName.get(`${trainable[variable].name}/${slot}`);
      if (tensor === undefined) {
        throw new ValueError(
          `${subject}: the optimizer has no '${slot}' for '${trainable[variable].name}' (a weight it has not updated yet).`,
        );
      }
      datasets.push({
        path: `optimizer/vars/${2 + i}`,
        shape: tensor.shape,
        data: Float32Array.from(tensor.dataSync()),
      });
    });
  }
  return {
    groups: [{ path: 'optimizer' }, { path: 'optimizer/vars', name: optimizer.name }],
    datasets,
  };
}

/**
 * The bytes of Keras 3's weights file for the built `model`: its layers' weights and a compiled
 * model's optimizer state (a `.weights.h5` file, and a `.keras` file's model.weights.h5).
 */
export async function kerasWeightsBytes(subject: string, model: Sequential): Promise<Uint8Array> {
  if (!model.built) {
    throw new ValueError(
      `${subject}: the model '${model.name}' is not built yet, so it has no weights.`,
    );
  }
  const groups: H5GroupToWrite[] = [{ path: 'layers' }];
  const datasets: H5DatasetToWrite[] = [];
  const layerGroupNames = layerGroups(model);
  model.layers.forEach((layer, i) => {
    const layout = layerLayout(subject, layerGroupNames[i], layer);
    groups.push(...layout.groups);
    for (const { path: datasetPath, variable } of layout.weights) {
      const values = variable.read();
      datasets.push({
        path: datasetPath,
        shape: values.shape,
        data: Float32Array.from(values.dataSync()),
      });
    }
  });
  const optimizer = await optimizerDatasets(subject, model);
  groups.push(...optimizer.groups, { path: 'vars', name: model.name });
  return writeH5(groups, [...datasets, ...optimizer.datasets]);
}

/** `model.saveWeights(file)`: see Sequential.saveWeights. */
export async function saveKerasWeightsFile(model: Sequential, file: string): Promise<void> {
  const subject = 'Sequential.saveWeights';
  checkPath(subject, file);
  checkFileTarget(subject, file);
  await writeFileAtomically(subject, file, await kerasWeightsBytes(subject, model));
}

/**
 * A legacy `.h5` file into `model`, as Keras's `load_weights("w.h5")` reads one: a weights file
 * (the layers' groups at the root, tf.keras 2's `save_weights`) or a model file (its
 * `model_weights/`). The weights only: Keras's legacy loader leaves the optimizer alone too.
 */
async function loadLegacyWeightsFile(
  where: string,
  model: Sequential,
  bytes: Uint8Array,
): Promise<void> {
  const tree = await readH5Tree(bytes, where);
  const prefix = tree.attributes.get('')?.has('layer_names')
    ? ''
    : tree.attributes.get('model_weights')?.has('layer_names')
      ? 'model_weights/'
      : undefined;
  if (prefix === undefined) {
    throw new KerasJsonError(
      `${where}: not a legacy Keras weights or model file: no \`layer_names\` attribute at its root or in model_weights/. A Keras 3 weights file ends in .weights.h5.`,
    );
  }
  const layers = model.layers.map((layer) => ({
    name: layer.name,
    kerasClassName: kerasClassOf(layer),
    layer,
  }));
  loadLegacyLayerWeights(where, tree, prefix, layers);
}

/** `model.loadWeights(file)`: see Sequential.loadWeights. */
export async function loadKerasWeightsFile(model: Sequential, file: string): Promise<void> {
  const subject = 'Sequential.loadWeights';
  const legacy = !file.endsWith(SUFFIX) && /\.(h5|hdf5)$/.test(file);
  if (!legacy && !file.endsWith(SUFFIX)) {
    throw new ValueError(
      `${subject}: expected a path ending in ${SUFFIX} (Keras 3's weights), or .h5 (legacy weights or model files), received '${file}'.`,
    );
  }
  const bytes = readFileBytes(subject, file, legacy ? 'an .h5 file' : 'a .weights.h5 file');
  if (!model.built) {
    throw new ValueError(
      `${subject}: the model '${model.name}' is not built yet; build it (an inputShape on the first layer, or build([null, ...])) before loading weights into it.`,
    );
  }
  const where = `${subject}: '${file}'`;
  if (legacy) {
    await loadLegacyWeightsFile(where, model, bytes);
    return;
  }
  const weights = await readH5Datasets(bytes, where);
  const layers = model.layers.map((layer) => ({ kerasClassName: kerasClassOf(layer), layer }));
  const values = weightsInLayerOrder(subject, where, layers, weights);
  const slots: KerasWeightSlot[] = layers.flatMap((owner) =>
    owner.layer.weights.map((variable) => ({
      variable,
      owner: { name: owner.layer.name, ...owner },
    })),
  );
  const hasOptimizerState = [...weights.keys()].some((p) => p.startsWith('optimizer/vars/'));
  // The weights go back as they were when the optimizer's state does not fit.
  const before = slots.map((slot) => slot.variable.read().clone());
  try {
    try {
      loadWeightsIntoSlots(slots, values);
    } catch (err) {
      throw err instanceof KerasJsonError ? new KerasJsonError(`${where}: ${err.message}`) : err;
    }
    if (hasOptimizerState && model.optimizer !== null) {
      await restoreOptimizerState(where, model, model.trainableWeights, weights);
    }
  } catch (err) {
    slots.forEach((slot, i) => slot.variable.write(before[i]));
    throw err;
  } finally {
    tf.dispose(before);
  }
  if (hasOptimizerState && model.optimizer === null) {
    console.warn(
      `${where} holds an optimizer's state; the model is not compiled, so only its weights were loaded (compile first to load that state too).`,
    );
  }
}
