/**
 * What the gated-states tests share (gated_states.test.ts, gated_states_layers.test.ts): one
 * recurrent layer of a kind with its weights, masks and initial states, run through the
 * kernels' op with states (`wasmGatedSequence`) or through the reference step by step
 * (`lstmSequence`, `gruSequence`, `simpleRnnSequenceReference`: tfjs ops, tf.where per masked
 * step, tfjs's automatic differentiation), and a loss of its output, its last states or both.
 */
import * as tf from '@tensorflow/tfjs';
import type { GatedStackLayer } from '../../../src/kernels/cells/gated_stack';
import { gruSequence } from '../../../src/kernels/cells/gru';
import { lstmSequence } from '../../../src/kernels/cells/lstm';
import { simpleRnnSequenceReference } from '../../../src/kernels/simple_rnn_reference';
import { KERNEL_ENV_VAR } from '../../../src/kernels/kernel_choice';
import { wasmGatedSequence } from '../../../src/kernels/wasm';
import { dropoutMask, pseudoRandomTensor as tensor } from '../../helpers/random_tensors';
import { type MaskShape, stepMaskOf } from './step_mask_case';

export type Kind = 'LSTM' | 'GRU' | 'GRU-before' | 'SimpleRNN';
const GATES: Record<Kind, number> = { LSTM: 4, GRU: 3, 'GRU-before': 3, SimpleRNN: 1 };

export interface StatesCase {
  kind: Kind;
  returnSequences: boolean;
  goBackwards?: boolean;
  /** Keras's step mask (see step_mask_case.ts). Default: none. */
  mask?: MaskShape;
  /** Implementation 1: a dropout mask per gate of h and of x (a SimpleRNN's one of each). */
  implementation1?: boolean;
  /** Implementation 2's dropout mask of x (the caller multiplies x by it). */
  inputMask?: boolean;
  /** Initial states in (else zeros, none given). Default: true. */
  initialStates?: boolean;
  /** Default: true. */
  bias?: boolean;
  /** What the loss reads: the output, the last states, or both. */
  loss: 'output' | 'states' | 'both';
  /** [batch, steps, features, units]. Default: [5, 6, 3, 5]. */
  sizes?: [number, number, number, number];
  threads?: number;
}

/** A layer's run: its output and last states (Keras's order). */
export interface StatesRun {
  output: tf.Tensor;
  states: readonly tf.Tensor[];
}

/** A run over the op's differentiable inputs: x, W, U, (b), then the initial states. */
export type RunFn = (inputs: readonly tf.Tensor[]) => StatesRun;

export interface BuiltCase {
  /** x, W, U, (b), then the initial states. */
  inputs: tf.Tensor[];
  /** The kernels' op with states. */
  ours: RunFn;
  /** The reference step by step. */
  reference: RunFn;
  /** A scalar loss of a run, as the case says. */
  loss: (run: StatesRun) => tf.Scalar;
  /** The step mask, when the case has one. */
  stepMask?: tf.Tensor2D;
  /** Everything to dispose after the test. */
  tensors: tf.Tensor[];
}

/** The case's tensors from `seed`, and its two runs. */
export function buildCase(c: StatesCase, seed: number): BuiltCase {
  const [batch, steps, features, units] = c.sizes ?? [5, 6, 3, 5];
  const gates = GATES[c.kind];
  const n = gates * units;
  const resetAfter = c.kind === 'GRU';
  const stateCount = c.kind === 'LSTM' ? 2 : 1;
  const x = tensor([batch, steps, features], seed);
  const kernel = tensor([features, n], seed + 1, 0.6);
  const recurrentKernel = tensor([units, n], seed + 2, 0.6);
  const bias = c.bias === false ? [] : [tensor(resetAfter ? [2, n] : [n], seed + 3, 0.5)];
  const initial =
    c.initialStates === false
      ? []
      : Array.from({ length: stateCount }, (_, k) => tensor([batch, units], seed + 4 + k, 0.8));
  const stepMask =
    c.mask === undefined ? undefined : stepMaskOf(c.mask, [batch, steps, features], seed);
  const masks = c.implementation1 === true ? (c.kind === 'SimpleRNN' ? 1 : gates) : 0;
  const recurrentMasks = Array.from({ length: masks }, (_, k) =>
    dropoutMask([batch, units], 0.6, seed + 10 + k),
  );
  const inputMasks = Array.from({ length: masks }, (_, k) =>
    dropoutMask([batch, features], 0.7, seed + 20 + k),
  );
  const inputMask = c.inputMask === true ? dropoutMask([batch, features], 0.7, seed + 30) : null;
  const targets = [
    tensor(c.returnSequences ? [batch, steps, units] : [batch, units], seed + 40),
    ...Array.from({ length: stateCount }, (_, k) => tensor([batch, units], seed + 41 + k)),
  ];
  const options = {
    activation: 'tanh' as const,
    recurrentActivation: 'sigmoid' as const,
    resetAfter,
    goBackwards: c.goBackwards ?? false,
    returnSequences: c.returnSequences,
    stepMask,
  };
  const gateMasks = masks > 0 ? { recurrent: recurrentMasks, input: inputMasks } : undefined;
  /** The inputs' tensors by role. */
  const split = (inputs: readonly tf.Tensor[]) => {
    const [xs, w, u, ...rest] = inputs;
    const b = bias.length > 0 ? (rest.shift() ?? null) : null;
    return {
      xs: xs as tf.Tensor3D,
      weights: { kernel: w as tf.Tensor2D, recurrentKernel: u as tf.Tensor2D, bias: b },
      states: rest.length > 0 ? (rest as tf.Tensor2D[]) : undefined,
    };
  };
  const ours: RunFn = (inputs) => {
    const { xs, weights, states } = split(inputs);
    const layer: GatedStackLayer = {
      kind: c.kind === 'GRU-before' ? 'GRU' : c.kind,
      weights,
      options,
      gateMasks,
      initialStates: states,
    };
    // Implementation 2's input mask is the caller's (see gatedStack).
    const input = inputMask === null ? xs : tf.mul<tf.Tensor3D>(xs, tf.expandDims(inputMask, 1));
    return wasmGatedSequence(input, layer, { returnState: true });
  };
  const reference: RunFn = (inputs) => {
    const { xs, weights, states } = split(inputs);
    const vectorBias = { ...weights, bias: weights.bias as tf.Tensor1D | null };
    if (c.kind === 'SimpleRNN') {
      const result = simpleRnnSequenceReference(xs, vectorBias, {
        ...options,
        inputMask: masks > 0 ? inputMasks[0] : (inputMask ?? undefined),
        recurrentMask: masks > 0 ? recurrentMasks[0] : undefined,
        initialState: states?.[0],
      });
      return { output: result.output, states: [result.state] };
    }
    const stepOptions = {
      ...options,
      implementation: masks > 0 ? (1 as const) : (2 as const),
      inputMasks: masks > 0 ? inputMasks : inputMask === null ? undefined : [inputMask],
      recurrentMasks: masks > 0 ? recurrentMasks : undefined,
    };
    if (c.kind === 'LSTM') {
      return lstmSequence(xs, vectorBias, {
        ...stepOptions,
        initialStates: states === undefined ? undefined : [states[0], states[1]],
      });
    }
    return gruSequence(xs, weights, { ...stepOptions, initialState: states?.[0] });
  };
  const loss = (run: StatesRun): tf.Scalar =>
    tf.tidy(() => {
      const terms: tf.Scalar[] = [];
      if (c.loss !== 'states') terms.push(tf.mean(tf.square(tf.sub(run.output, targets[0]))));
      if (c.loss !== 'output') {
        run.states.forEach((s, k) => {
          terms.push(tf.mean(tf.square(tf.sub(s, targets[k + 1]))));
        });
      }
      return tf.addN(terms);
    });
  const inputs = [x, kernel, recurrentKernel, ...bias, ...initial];
  const constants = [
    ...recurrentMasks,
    ...inputMasks,
    ...targets,
    ...(stepMask === undefined ? [] : [stepMask]),
    ...(inputMask === null ? [] : [inputMask]),
  ];
  return { inputs, ours, reference, loss, stepMask, tensors: [...inputs, ...constants] };
}

/** Runs `fn` with TFJS_KERAS_RNN_KERNEL=fused (tfjs ops instead of the kernels), then restores it. */
export function withFusedKernels<T>(fn: () => T): T {
  const before = process.env[KERNEL_ENV_VAR];
  process.env[KERNEL_ENV_VAR] = 'fused';
  try {
    return fn();
  } finally {
    if (before === undefined) Reflect.deleteProperty(process.env, KERNEL_ENV_VAR);
    else process.env[KERNEL_ENV_VAR] = before;
  }
}
