/**
 * The SimpleRNN layer's kernel over a whole sequence:
 *
 *   h_t = act(x_t · W + h_{t-1} · U + b),   h_0 = initial state (zeros by default)
 *
 * For tanh, sigmoid, relu and linear the whole layer (projection, recurrence and every gradient)
 * runs in the WebAssembly SIMD kernels when they load; otherwise the input projection of every
 * step is one matMul before the loop (time-major, so each step's slice is contiguous) and the
 * recurrence runs in the fused tfjs-ops kernel with hand-written BPTT. Other activations go step
 * by step with automatic differentiation. No configs and no layers here: tensors and plain
 * options in, tensors out.
 */
import * as tf from '@tensorflow/tfjs';
import { useWasmKernel } from './kernel_choice';
import { isFusedActivation } from './fused_steps';
import { fusedSimpleRnnRecurrence } from './simple_rnn_fused';
import { denseProduct, denseRunsOnKernels } from './dense';
import {
  type SimpleRnnStackHead,
  type SimpleRnnStackLayer,
  wasmSimpleRnnSequence,
  wasmSimpleRnnStack,
} from './wasm';
import {
  type SimpleRnnSequenceOptions,
  type SimpleRnnSequenceResult,
  type SimpleRnnWeights,
  resultWithLazyState,
  simpleRnnSequenceReference,
} from './simple_rnn_reference';

export type {
  SimpleRnnSequenceOptions,
  SimpleRnnSequenceResult,
  SimpleRnnStackHead,
  SimpleRnnStackLayer,
  SimpleRnnWeights,
};

/** [a, b, c] -> [b, a, c]; a reshape when either of the first two axes has size 1. */
function swapLeadingAxes(t: tf.Tensor3D): tf.Tensor3D {
  const [a, b, c] = t.shape;
  if (a === 1 || b === 1) return tf.reshape(t, [b, a, c]);
  return tf.transpose(t, [1, 0, 2]);
}

/** Runs the recurrence over every step of `x` [batch, timesteps, features]. */
export function simpleRnnSequence(
  x: tf.Tensor3D,
  weights: SimpleRnnWeights,
  options: SimpleRnnSequenceOptions,
): SimpleRnnSequenceResult {
  const activation = options.activation;
  if (!isFusedActivation(activation)) return simpleRnnSequenceReference(x, weights, options);
  // The whole layer in one WebAssembly call per pass (src/kernels/wasm/), on any tfjs backend;
  // TFJS_KERAS_RNN_KERNEL=fused keeps the tfjs-ops kernel below (the reference, and what the
  // benchmark compares against in the same process).
  if (useWasmKernel()) return wasmSimpleRnnSequence(x, weights, options);
  return fusedSimpleRnnSequence(x, weights, options);
}

/**
 * Runs SimpleRNN layers one after another over every step of `x` [batch, timesteps,
 * features], each reading every output step of the one before (so every layer but the last
 * must return sequences), times its `outputMask` when it has one: the output of the last. The
 * same values and gradients as `simpleRnnSequence` layer by layer and tf.mul for the masks; on
 * the WebAssembly kernels the sequences between the layers stay in the kernels' memory and each
 * pass is one call for the whole stack (a layer with an input mask, from input dropout, starts
 * a stack of its own).
 *
 * With `head`, a Dense layer's x · kernel + bias on the last layer's output follows (that
 * layer must not return sequences): in the same kernel call where it can (stack_head.ts),
 * else as `denseProduct`. The same values and gradients either way.
 */
export function simpleRnnStack(
  x: tf.Tensor3D,
  layers: readonly SimpleRnnStackLayer[],
  head?: SimpleRnnStackHead,
): tf.Tensor {
  let h: tf.Tensor = x;
  const withHead = (out: tf.Tensor): tf.Tensor => headProduct(out, head);
  if (!useWasmKernel() || !layers.every((l) => isFusedActivation(l.options.activation))) {
    for (const { weights, options, outputMask } of layers) {
      h = simpleRnnSequence(h as tf.Tensor3D, weights, options).output;
      if (outputMask !== undefined) h = tf.mul(h, outputMask);
    }
    return withHead(h);
  }
  let start = 0;
  for (let i = 1; i <= layers.length; i++) {
    if (i === layers.length || layers[i].options.inputMask !== undefined) {
      // A stack's last layer masks its output as a tensor.
      const { outputMask, ...last } = layers[i - 1];
      const segment = [...layers.slice(start, i - 1), last];
      const fuseHead = i === layers.length && outputMask === undefined && headFits(h, head);
      h = wasmSimpleRnnStack(h as tf.Tensor3D, segment, fuseHead ? head : undefined);
      if (outputMask !== undefined) h = tf.mul(h, outputMask);
      if (fuseHead) return h;
      start = i;
    }
  }
  return withHead(h);
}

/** A Dense head's x · kernel + bias of a stack's output (`out` itself without a head). */
export function headProduct(out: tf.Tensor, head: SimpleRnnStackHead | undefined): tf.Tensor {
  if (head === undefined) return out;
  const kernel = head.kernel as tf.Tensor2D;
  return denseProduct(out as tf.Tensor2D, kernel, head.bias as tf.Tensor1D | null);
}

/** Whether the kernels would run `head`'s product on the stack's output (see denseProduct). */
function headFits(x: tf.Tensor, head: SimpleRnnStackHead | undefined): head is SimpleRnnStackHead {
  if (head === undefined) return false;
  const features = (head.kernel.shape as readonly number[])[0] ?? 0;
  return denseRunsOnKernels(x.shape[0], features, head.kernel);
}

/**
 * The layer in tfjs ops: one matMul projects every step, then the fused recurrence. For the
 * activations `isFusedActivation` accepts.
 */
export function fusedSimpleRnnSequence(
  x: tf.Tensor3D,
  weights: SimpleRnnWeights,
  options: SimpleRnnSequenceOptions,
): SimpleRnnSequenceResult {
  const activation = options.activation;
  if (!isFusedActivation(activation)) {
    throw new Error(`fusedSimpleRnnSequence: no fused kernel for ${JSON.stringify(activation)}`);
  }
  const output = tf.tidy(() => {
    const [batch, steps, features] = x.shape;
    const units = weights.kernel.shape[1];
    const masked: tf.Tensor3D =
      options.inputMask === undefined ? x : tf.mul(x, tf.expandDims(options.inputMask, 1));
    const timeMajor = swapLeadingAxes(masked);
    let projected: tf.Tensor2D = tf.matMul(
      tf.reshape(timeMajor, [steps * batch, features]),
      weights.kernel,
    );
    if (weights.bias !== null) projected = tf.add(projected, weights.bias);
    const out = fusedSimpleRnnRecurrence(
      tf.reshape(projected, [steps, batch, units]),
      weights.recurrentKernel,
      options.initialState ?? tf.zeros([batch, units]),
      {
        activation,
        goBackwards: options.goBackwards,
        returnSequences: options.returnSequences,
        recurrentMask: options.recurrentMask,
        stepMask: options.stepMask,
      },
    );
    return options.returnSequences ? swapLeadingAxes(out as tf.Tensor3D) : out;
  });
  if (!options.returnSequences) return { output, state: output as tf.Tensor2D };
  const [batch, steps, units] = output.shape as [number, number, number];
  return resultWithLazyState(output, () =>
    tf.tidy(() =>
      tf.reshape(tf.slice(output, [0, steps - 1, 0], [batch, 1, units]), [batch, units]),
    ),
  );
}
