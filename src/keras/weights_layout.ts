/**
 * Where Keras 3's saving library puts a model's weights in an HDF5 file (model.weights.h5 in a
 * `.keras` archive, or a `.weights.h5` file), as dumped from files Keras 3.15 wrote:
 * - `layers/<snake_case class>[_<n>]/` per layer in model order, named after the class, not the
 *   layer (the layer's name is the `name` attribute of its `vars` group);
 * - a layer's own weights at `vars/<i>`; a recurrent layer's in its cell, `cell/vars/<i>`; over a
 *   list of cells, `cell/cells/<snake_case cell class>[_<n>]/vars/<i>`;
 * - a Bidirectional's under `forward_layer/`, then `backward_layer/`;
 * - the optimizer's at `optimizer/vars/<i>`.
 */
import type * as tf from '@tensorflow/tfjs';
import { Bidirectional } from '../layers/rnn/bidirectional';
import { RecurrentCellBase } from '../layers/rnn/cell';
import { RNN } from '../layers/rnn/rnn';
import type { H5Dataset } from './h5_weights';
import { KerasJsonError } from './keras_json';
import type { KerasWeightValues } from './keras_weights';

/** Keras's `naming.to_snake_case`: 'SimpleRNN' -> 'simple_rnn', 'GRUCell' -> 'gru_cell'. */
export function kerasSnakeCase(name: string): string {
  return name
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** Keras's names for a list's members: the class in snake case, `_<n>` from the second on. */
export function listGroupNames(classNames: readonly string[]): string[] {
  const counts = new Map<string, number>();
  return classNames.map((className) => {
    const snake = kerasSnakeCase(className);
    const n = counts.get(snake) ?? 0;
    counts.set(snake, n + 1);
    return n === 0 ? snake : `${snake}_${n}`;
  });
}

/** A layer group's parts, in Keras's order of the layer's weights. */
const PART_ORDER = ['vars', 'cell', 'cells', 'forward_layer', 'backward_layer'];

/** The groups of a recurrent layer's list of cells, in cell order (`cell/cells/<name>`). */
export function cellGroupNames(rnn: RNN): string[] {
  return listGroupNames(
    rnn.cells.map((cell) => (cell instanceof RecurrentCellBase ? cell.getClassName() : cell.name)),
  );
}

/** The names of the cell groups of a recurrent layer's list of cells, by direction. */
function cellGroups(layer: tf.layers.Layer): Map<string, string[]> {
  if (layer instanceof Bidirectional) {
    return new Map([
      ['forward_layer', cellGroupNames(layer.forwardLayer)],
      ['backward_layer', cellGroupNames(layer.backwardLayer)],
    ]);
  }
  return new Map(layer instanceof RNN ? [['', cellGroupNames(layer)]] : []);
}

/**
 * The datasets under a layer's group, in Keras's order of that layer's weights (`layer`, the
 * layer built for it, names its cells). A part of the group that is not Keras's is refused.
 */
export function layerDatasets(
  subject: string,
  group: string,
  layer: tf.layers.Layer,
  weights: Map<string, H5Dataset>,
): [string, H5Dataset][] {
  const prefix = `${group}/`;
  const cells = cellGroups(layer);
  const rank = (path: string, parts: string[], i: number): number => {
    const part = parts[i];
    if (/^\d+$/.test(part)) return Number(part);
    if (parts[i - 1] === 'cells') {
      const direction =
        parts[0] === 'forward_layer' || parts[0] === 'backward_layer' ? parts[0] : '';
      const index = cells.get(direction)?.indexOf(part) ?? -1;
      if (index >= 0) return index;
    } else if (PART_ORDER.includes(part)) {
      return PART_ORDER.indexOf(part);
    }
    throw new KerasJsonError(
      `${subject}: weights at '${path}': '${part}' is not a part of ${layer.getClassName()} '${layer.name}' in Keras's layout.`,
    );
  };
  const keyed = [...weights]
    .filter(([path]) => path.startsWith(prefix))
    .map(([path, d]) => {
      const parts = path.slice(prefix.length).split('/');
      return { path, d, key: parts.map((_, i) => rank(path, parts, i)) };
    });
  keyed.sort((a, b) => {
    for (let i = 0; i < Math.min(a.key.length, b.key.length); i++) {
      if (a.key[i] !== b.key[i]) return a.key[i] - b.key[i];
    }
    return a.key.length - b.key.length;
  });
  return keyed.map(({ path, d }) => [path, d]);
}

/** A layer of the model and the Keras class its group is named after. */
export interface LayerInFile {
  readonly kerasClassName: string;
  readonly layer: tf.layers.Layer;
}

/**
 * The file's layer weights in the model's order (layer by layer, each in Keras's order), and a
 * refusal, naming `where`, of any dataset that is neither a layer's nor the optimizer's.
 */
export function weightsInLayerOrder(
  subject: string,
  where: string,
  layers: readonly LayerInFile[],
  weights: Map<string, H5Dataset>,
): KerasWeightValues[] {
  const used = new Set<string>();
  const ordered: KerasWeightValues[] = [];
  const groups = listGroupNames(layers.map((l) => l.kerasClassName));
  layers.forEach(({ layer }, i) => {
    for (const [path, d] of layerDatasets(subject, `layers/${groups[i]}`, layer, weights)) {
      used.add(path);
      ordered.push({ name: path, shape: d.shape, data: d.data });
    }
  });
  for (const path of weights.keys()) {
    if (!used.has(path) && !path.startsWith('optimizer/')) {
      throw new KerasJsonError(
        `${where} holds weights at '${path}' that belong to no layer of the model.`,
      );
    }
  }
  return ordered;
}
