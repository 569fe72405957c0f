/**
 * A `.keras` file's training state: config.json's `compile_config` as `compile` arguments, and
 * the optimizer's variables (`optimizer/vars/<i>` in model.weights.h5) as the optimizer's
 * iteration count, learning rate and slots, so that the next step is the one Keras would take.
 */
import * as tf from '@tensorflow/tfjs';
import type { CompileArgs } from '../models/compile';
import type { Sequential } from '../models/sequential';
import { kerasOptimizer } from '../optimizers/factory';
import { type KerasOptimizer, type NamedWeight, isKerasOptimizer } from '../optimizers/optimizer';
import type { H5Dataset } from './h5_weights';
import { type JsonObject, KerasJsonError, isJsonArray, isJsonObject, show } from './keras_json';
import { lossFromKeras } from './keras_losses';

/**
 * `compile_config` keys that only say how Keras runs a step (eagerly, jitted, several steps per
 * call): no counterpart here and no effect on the numbers.
 */
const EXECUTION_KEYS = ['run_eagerly', 'jit_compile', 'steps_per_execution'];
const KNOWN_KEYS = ['optimizer', 'loss', 'metrics', 'loss_weights', 'weighted_metrics'];

/** `compile_config` -> `compile`'s arguments; refuses what this package cannot take, by name. */
export function compileArgsFromKeras(where: string, config: JsonObject): CompileArgs {
  for (const [key, value] of Object.entries(config)) {
    if (KNOWN_KEYS.includes(key)) continue;
    // Porting note: run_eagerly and jit_compile are accepted whatever their value (they change
    // how Keras runs a step, not its numbers); steps_per_execution only as 1.
    if (EXECUTION_KEYS.includes(key) && (key !== 'steps_per_execution' || value === 1)) continue;
    throw new KerasJsonError(
      `${where}: compile_config's \`${key}\` = ${show(value)} is not supported.`,
    );
  }
  for (const key of ['loss_weights', 'weighted_metrics']) {
    if (config[key] !== null && config[key] !== undefined) {
      throw new KerasJsonError(
        `${where}: compile_config's \`${key}\` = ${show(config[key])} is not supported yet.`,
      );
    }
  }
  const optimizer = config.optimizer;
  if (!isJsonObject(optimizer) || typeof optimizer.class_name !== 'string') {
    throw new KerasJsonError(
      `${where}: compile_config's \`optimizer\` = ${show(optimizer)}; expected {"class_name", "config"}.`,
    );
  }
  const optimizerConfig = isJsonObject(optimizer.config) ? optimizer.config : {};
  const loss = lossFromKeras(where, config.loss);
  const metrics = config.metrics ?? null;
  if (metrics !== null && !(isJsonArray(metrics) && metrics.every((m) => typeof m === 'string'))) {
    throw new KerasJsonError(
      `${where}: compile_config's \`metrics\` = ${show(metrics)}; only a list of metric names is read yet.`,
    );
  }
  return {
    optimizer: kerasOptimizer(optimizer.class_name, optimizerConfig, `${where}: compile_config`),
    loss,
    metrics: metrics ?? [],
  };
}

/**
 * How Keras 3 lists an optimizer's slots after its iteration count and learning rate: each
 * variable's slots together ('byVariable', Adam's momentum and velocity), or each slot over all
 * variables ('bySlot', RMSprop), as each optimizer's `build` creates them. Checked against
 * files that Keras 3.15 wrote (python/keras_file_fixtures.py); an optimizer with one slot (SGD
 * with momentum, Adagrad) lists it variable by variable either way.
 */
const SLOT_LAYOUTS: Partial<Record<string, 'byVariable' | 'bySlot'>> = {
  Adam: 'byVariable',
  RMSprop: 'bySlot',
};

/** One of an optimizer's slots in Keras's list: the slot of the `variable`-th trainable weight. */
export interface KerasSlotPlace {
  readonly variable: number;
  readonly slot: string;
}

/**
 * The optimizer's slots in the order Keras 3 lists them after `iterations` and `learning_rate`,
 * for `variables` trainable weights; refuses an optimizer whose order is not known yet.
 */
export function kerasSlotOrder(
  where: string,
  optimizer: KerasOptimizer,
  variables: number,
): KerasSlotPlace[] {
  const className = optimizer.getClassName();
  const slots = optimizer.slotNames();
  const layout = slots.length <= 1 ? 'bySlot' : SLOT_LAYOUTS[className];
  if (layout === undefined || (className === 'Adam' && slots.length > 2)) {
    throw new KerasJsonError(
      `${where}: ${className}'s state (${slots.join(', ')}) in Keras's layout is not built yet; load with { compile: false } and compile again, which starts its state from zero.`,
    );
  }
  const places: KerasSlotPlace[] = [];
  if (layout === 'byVariable') {
    for (let v = 0; v < variables; v++)
      for (const slot of slots) places.push({ variable: v, slot });
  } else {
    for (const slot of slots)
      for (let v = 0; v < variables; v++) places.push({ variable: v, slot });
  }
  return places;
}

function numericOrder(weights: Map<string, H5Dataset>, prefix: string): H5Dataset[] {
  return [...weights]
    .filter(([path]) => path.startsWith(prefix) && /^\d+$/.test(path.slice(prefix.length)))
    .sort(([a], [b]) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)))
    .map(([, d]) => d);
}

/**
 * Puts the file's optimizer variables into the compiled model's optimizer: the iteration count,
 * the learning rate, then the slots of the trainable variables (`trainable`, in Keras's order).
 */
export async function restoreOptimizerState(
  where: string,
  model: Sequential,
  trainable: readonly tf.LayerVariable[],
  weights: Map<string, H5Dataset>,
): Promise<void> {
  const optimizer = model.optimizer;
  if (!isKerasOptimizer(optimizer)) {
    throw new KerasJsonError(`${where}: the model's optimizer is not one of this package's.`);
  }
  const values = numericOrder(weights, 'optimizer/vars/');
  if (values.length === 0) return;
  // An optimizer saved before its first step has only its iteration count and learning rate.
  const places = values.length === 2 ? [] : kerasSlotOrder(where, optimizer, trainable.length);
  const expected = 2 + places.length;
  if (values.length !== expected) {
    throw new KerasJsonError(
      `${where}: the file holds ${values.length} optimizer variables; ${optimizer.getClassName()} over this model's ${trainable.length} trainable weights has ${expected} (the iteration count, the learning rate, and ${optimizer.slotNames().join(', ')} for each).`,
    );
  }
  const [iterations, learningRate] = values;
  const named: NamedWeight[] = places.map(({ variable, slot }, i) => {
    const d = values[2 + i];
    return { name: `${trainable[variable].name}/${slot}`, tensor: tf.tensor(d.data, [...d.shape]) };
  });
  const iter = tf.scalar(iterations.data[0]);
  try {
    await optimizer.setWeights([{ name: 'iter', tensor: iter }, ...named]);
  } finally {
    tf.dispose([iter, ...named.map((n) => n.tensor)]);
  }
  optimizer.learningRate = learningRate.data[0];
}
