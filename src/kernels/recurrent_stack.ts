/**
 * Consecutive recurrent layers of any kinds as kernel stacks: SimpleRNN layers alone run as one
 * SimpleRNN stack (`simpleRnnStack`: its own op, with the Dense head inside it and the training
 * step in the kernels' memory), LSTM and GRU layers as one gated stack (`gatedStack`), and a
 * mix of kinds as one gated stack too, its SimpleRNN layers among the gated ones (those the
 * kernels take: tanh, sigmoid, relu or linear, no initial state; else each family runs as a stack
 * of its own, the sequence between them a tensor). The values and gradients are those of the
 * layers one by one.
 */
import * as tf from '@tensorflow/tfjs';
import { type GatedStackLayer, gatedStack } from './cells/gated_stack';
import { isFusedActivation } from './fused_steps';
import { useWasmKernel } from './kernel_choice';
import {
  type SimpleRnnStackHead,
  type SimpleRnnStackLayer,
  headProduct,
  simpleRnnStack,
} from './simple_rnn';
import { type GatedStackRun, type MergedPlace, wasmGatedStacks, wasmMergedStacks } from './wasm';

/** One layer of a kernel stack: a SimpleRNN layer, or a gated one (with its `kind`). */
export type RecurrentStackLayer = SimpleRnnStackLayer | GatedStackLayer;

export function isGatedStackLayer(layer: RecurrentStackLayer): layer is GatedStackLayer {
  return 'kind' in layer;
}

export function isSimpleRnnLayer(layer: RecurrentStackLayer): layer is SimpleRnnStackLayer {
  return !isGatedStackLayer(layer);
}

/** A SimpleRNN layer as a layer of a gated stack, when the gated kernels can run it. */
function asGatedLayer(layer: RecurrentStackLayer): GatedStackLayer | undefined {
  if (isGatedStackLayer(layer)) return layer;
  const { weights, options, outputMask, stateTap } = layer;
  const { activation, recurrentMask, inputMask } = options;
  if (!isFusedActivation(activation) || options.initialState !== undefined) return undefined;
  const masked = recurrentMask !== undefined || inputMask !== undefined;
  return {
    kind: 'SimpleRNN',
    weights,
    options: {
      activation,
      recurrentActivation: 'linear',
      resetAfter: false,
      goBackwards: options.goBackwards,
      returnSequences: options.returnSequences,
      stepMask: options.stepMask,
    },
    ...(masked
      ? {
          gateMasks: {
            recurrent: recurrentMask === undefined ? undefined : [recurrentMask],
            input: inputMask === undefined ? undefined : [inputMask],
          },
        }
      : {}),
    outputMask,
    stateTap,
  };
}

/**
 * Runs `layers` one after another over every step of `x` [batch, timesteps, features] (every
 * layer but the last returning sequences), each times its `outputMask` when it has one; the
 * output of the last. With `head`, a Dense layer's x · kernel + bias of it instead (the last
 * layer must not return sequences), in the SimpleRNN stack's own op when the last run is one.
 */
export function recurrentStack(
  x: tf.Tensor3D,
  layers: readonly RecurrentStackLayer[],
  head?: SimpleRnnStackHead,
): tf.Tensor {
  const withHead = (out: tf.Tensor): tf.Tensor => headProduct(out, head);
  const mixed = layers.some(isGatedStackLayer) && layers.some(isSimpleRnnLayer);
  const asGated = mixed ? layers.map(asGatedLayer) : [];
  if (mixed && asGated.every((l) => l !== undefined)) return withHead(gatedStack(x, asGated));
  let h: tf.Tensor = x;
  let start = 0;
  for (let i = 1; i <= layers.length; i++) {
    const gated = isGatedStackLayer(layers[start]);
    if (i < layers.length && isGatedStackLayer(layers[i]) === gated) continue;
    const run = layers.slice(start, i);
    const last = i === layers.length;
    if (gated) {
      h = gatedStack(h as tf.Tensor3D, run.filter(isGatedStackLayer));
    } else {
      const simple = run.filter(isSimpleRnnLayer);
      // The SimpleRNN stack computes the head in its own op where it can.
      if (last && head !== undefined) return simpleRnnStack(h as tf.Tensor3D, simple, head);
      h = simpleRnnStack(h as tf.Tensor3D, simple);
    }
    start = i;
  }
  return withHead(h);
}

/**
 * A run of layers as one stack of the gated kernels' op (see `wasmGatedStacks`): the first
 * layer's input dropout, which multiplies x as a tensor, and the last layer's output mask, which
 * multiplies the output, apart. Undefined when one op cannot take the run (a layer the gated
 * kernels do not run, or input dropout on a layer after the first).
 */
function asGatedRun(layers: readonly RecurrentStackLayer[]):
  | {
      layers: GatedStackLayer[];
      inputMask: tf.Tensor2D | undefined;
      outputMask: tf.Tensor | undefined;
    }
  | undefined {
  const gated = layers.map(asGatedLayer);
  const run: GatedStackLayer[] = [];
  for (const [i, layer] of gated.entries()) {
    if (layer === undefined || (i > 0 && layer.inputMask !== undefined)) return undefined;
    const { inputMask: _, ...rest } = layer;
    run.push(rest);
  }
  const lastLayer = run.at(-1);
  if (lastLayer === undefined) return undefined;
  const { outputMask, ...last } = lastLayer;
  run[run.length - 1] = last;
  return { layers: run, inputMask: gated[0]?.inputMask, outputMask };
}

/**
 * Independent runs of layers over the same x [batch, timesteps, features] (a Bidirectional
 * layer's forward and backward layers): each run's output, the same values and gradients as
 * `recurrentStack` on each run. In the kernels, all the runs are one op whose passes schedule
 * every run's shares of the batch on the threads together (see `wasmGatedStacks`), when each
 * run fits one gated stack; otherwise (or without the kernels) one run after another.
 */
export function independentStacks(
  x: tf.Tensor3D,
  runs: readonly (readonly RecurrentStackLayer[])[],
): tf.Tensor[] {
  const gated = useWasmKernel() ? runs.map(asGatedRun) : [];
  const stacks = gated.filter((g) => g !== undefined);
  if (stacks.length < 2 || stacks.length !== runs.length) {
    return runs.map((layers) => recurrentStack(x, layers));
  }
  const outputs = wasmGatedStacks(
    stacks.map(({ layers, inputMask }): GatedStackRun => ({
      x: inputMask === undefined ? x : tf.mul<tf.Tensor3D>(x, tf.expandDims(inputMask, 1)),
      layers,
    })),
  );
  return outputs.map((out, k) => {
    const mask = stacks[k].outputMask;
    return mask === undefined ? out : tf.mul(out, mask);
  });
}

/**
 * Independent runs of layers over the same x, as `independentStacks` runs them, with their
 * output sequences side by side in one [batch, steps, width] sequence as `places` say (a
 * Bidirectional layer's concat merge: the backward direction's steps reversed back, zeros at
 * masked steps), in one kernel op: see `wasmMergedStacks`. Undefined when that op cannot take
 * the runs (no kernels, a run it cannot take, a last layer with an output mask or input dropout,
 * or not returning sequences); the caller then merges `independentStacks`' outputs itself.
 */
export function mergedStacks(
  x: tf.Tensor3D,
  runs: readonly (readonly RecurrentStackLayer[])[],
  places: readonly MergedPlace[],
): tf.Tensor3D | undefined {
  if (!useWasmKernel() || runs.length < 2) return undefined;
  const stacks: GatedStackRun[] = [];
  for (const run of runs) {
    const gated = asGatedRun(run);
    const last = gated?.layers.at(-1);
    if (gated === undefined || gated.outputMask !== undefined || gated.inputMask !== undefined) {
      return undefined;
    }
    if (last?.options.returnSequences !== true) return undefined;
    stacks.push({ x, layers: gated.layers });
  }
  return wasmMergedStacks(stacks, places);
}
