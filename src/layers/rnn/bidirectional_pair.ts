/**
 * How a Bidirectional gets its two layers: a fresh copy of the given layer for each direction
 * (or the given backward layer), checked as Keras checks the pair; and the layers back from
 * their serialized configs.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../../errors';
import { describeLayer } from '../naming';
import { RNN } from './rnn';

/** How the two directions' outputs combine. */
export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave' | null;

const MERGE_MODES: readonly MergeMode[] = ['concat', 'sum', 'mul', 'ave', null];

/** A constructor of a recurrent layer from its config (every RNN subclass here has one). */
type RnnFromConfig = new (config: tf.serialization.ConfigDict) => RNN;

/** A fresh copy of `layer` under `name`, with `changes` to its config and no weights. */
function copyOf(layer: RNN, name: string, changes: tf.serialization.ConfigDict): RNN {
  const {
    batchInputShape: _batchInputShape,
    inputShape: _inputShape,
    ...config
  } = layer.getConfig();
  return new (layer.constructor as RnnFromConfig)({ ...config, ...changes, name });
}

/** `name` without `prefix` at its start (Python's removeprefix). */
function withoutPrefix(name: string, prefix: string): string {
  return name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

/**
 * The forward and backward layers and the merge mode of a Bidirectional, checked as Keras checks
 * them: a fresh copy of `layer` named `forward_<name>`, and `backwardLayer` or another copy with
 * goBackwards named `backward_<name>`.
 */
export function directionsOf(args: {
  layer: unknown;
  backwardLayer?: unknown;
  mergeMode?: MergeMode;
}): { forward: RNN; backward: RNN; mergeMode: MergeMode } {
  const { layer, backwardLayer } = args;
  if (!(layer instanceof RNN)) {
    throw new ValueError(
      `Bidirectional: expected \`layer\` to be a recurrent layer (new LSTM({...}), new GRU({...}), new SimpleRNN({...}) or new StackedRNN({...})), received ${describeValue(layer)}.`,
    );
  }
  if (backwardLayer !== undefined && !(backwardLayer instanceof RNN)) {
    throw new ValueError(
      `Bidirectional: expected \`backwardLayer\` to be a recurrent layer, received ${describeValue(backwardLayer)}.`,
    );
  }
  const mergeMode = args.mergeMode === undefined ? 'concat' : args.mergeMode;
  if (!MERGE_MODES.includes(mergeMode)) {
    throw new ValueError(
      `Bidirectional: expected \`mergeMode\` to be 'concat', 'sum', 'mul', 'ave' or null, received ${JSON.stringify(mergeMode)}.`,
    );
  }
  const forward = copyOf(layer, `forward_${withoutPrefix(layer.name, 'forward_')}`, {});
  const backward =
    backwardLayer ??
    copyOf(layer, `backward_${withoutPrefix(layer.name, 'backward_')}`, { goBackwards: true });
  checkPair(forward, backward);
  return { forward, backward, mergeMode };
}

/** Keras's checks of a forward and backward pair. */
function checkPair(forward: RNN, backward: RNN): void {
  if (forward.goBackwards === backward.goBackwards) {
    throw new ValueError(
      `Bidirectional: the forward and backward layers must read in different directions, but both have goBackwards: ${forward.goBackwards}. Give the backward layer goBackwards: true.`,
    );
  }
  for (const key of ['returnSequences', 'returnState', 'stateful'] as const) {
    if (forward[key] !== backward[key]) {
      throw new ValueError(
        `Bidirectional: the forward and backward layers must have the same ${key}, received ${forward[key]} (forward, ${describeLayer(forward)}) and ${backward[key]} (backward, ${describeLayer(backward)}).`,
      );
    }
  }
}

/** A layer from its serialized form `{ className, config }`, by tfjs's class registry. */
export function layerFromConfig(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const { className, config } = value as { className?: unknown; config?: unknown };
  const entry =
    typeof className === 'string'
      ? tf.serialization.SerializationMap.getMap().classNameMap[className]
      : undefined;
  if (entry === undefined || typeof config !== 'object' || config === null) return value;
  const [cls, fromConfig] = entry;
  return fromConfig(cls, config as tf.serialization.ConfigDict);
}

/** How messages show a value that is not a layer. */
function describeValue(value: unknown): string {
  if (value instanceof tf.layers.Layer) return describeLayer(value);
  return value === null ? 'null' : typeof value;
}
