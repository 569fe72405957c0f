/**
 * Independent gated stacks in one WebAssembly op (wasmGatedStacks: a Bidirectional layer's two
 * directions, their shares of the batch on the threads together) against the same stacks run
 * one after the other (wasmGatedStack each): the same outputs and the same gradients of x (the
 * sum of both directions'), every weight and the initial states, with and without a step mask
 * (a fully masked sample among them), for every kind and option, on one thread and on several,
 * leaking neither tensors nor the kernels' memory. `independentStacks`, which Bidirectional
 * calls, against `recurrentStack` on each run.
 */
import * as tf from '@tensorflow/tfjs';
import type { GatedStackLayer } from '../../../src/kernels/cells/gated_stack';
import {
  type RecurrentStackLayer,
  independentStacks,
  recurrentStack,
} from '../../../src/kernels/recurrent_stack';
import {
  setThreads,
  wasmGatedStack,
  wasmGatedStacks,
  wasmKernelMemory,
} from '../../../src/kernels/wasm';
import { dropoutMask, pseudoRandomTensor as tensor } from '../../helpers/random_tensors';
import { expectSameValueAndGradients } from '../../helpers/same_gradients';
import { useTestBackend } from '../../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

afterEach(() => {
  setThreads(undefined);
});

type Kind = 'LSTM' | 'GRU' | 'GRU-before' | 'SimpleRNN';

const GATES: Record<Kind, number> = { LSTM: 4, GRU: 3, 'GRU-before': 3, SimpleRNN: 1 };

interface LayerSpec {
  kind: Kind;
  units: number;
  /** Implementation 1's dropout masks per gate, of h and of x. */
  dropout?: boolean;
  /** A Dropout mask of the output sequence (not on the last layer). */
  outputMask?: boolean;
}

interface StackSpec {
  layers: LayerSpec[];
  goBackwards: boolean;
  returnSequences: boolean;
  /** The first layer's initial states are inputs. */
  initialStates?: boolean;
}

/** The fixed parts of a stack (masks), and how to make it from its differentiable tensors. */
interface StackMaker {
  /** Its weights, then its first layer's initial states: the inputs after x. */
  tensors: tf.Tensor[];
  constants: tf.Tensor[];
  make(tensors: readonly tf.Tensor[]): GatedStackLayer[];
}

function stackMaker(
  spec: StackSpec,
  [batch, steps, features]: [number, number, number],
  stepMask: tf.Tensor2D | undefined,
  seed: number,
): StackMaker {
  const tensors: tf.Tensor[] = [];
  const constants: tf.Tensor[] = [];
  let width = features;
  const parts = spec.layers.map((c, i) => {
    const gates = GATES[c.kind];
    const n = gates * c.units;
    const s = seed + 20 * i;
    tensors.push(
      tensor([width, n], s, 0.6),
      tensor([c.units, n], s + 1, 0.6),
      tensor(c.kind === 'GRU' ? [2, n] : [n], s + 2, 0.5),
    );
    const masks = (count: number, w: number, keep: number, k0: number) =>
      Array.from({ length: count }, (_, k) => dropoutMask([batch, w], keep, s + k0 + k));
    const gateMasks =
      c.dropout === true
        ? { recurrent: masks(gates, c.units, 0.6, 3), input: masks(gates, width, 0.7, 9) }
        : undefined;
    const outputMask =
      c.outputMask === true
        ? tf.tidy(() =>
            tf.broadcastTo(tf.expandDims(dropoutMask([batch, c.units], 0.7, s + 15), 1), [
              batch,
              steps,
              c.units,
            ]),
          )
        : undefined;
    constants.push(...(gateMasks?.recurrent ?? []), ...(gateMasks?.input ?? []));
    if (outputMask !== undefined) constants.push(outputMask);
    width = c.units;
    return { c, gateMasks, outputMask };
  });
  const first = spec.layers[0];
  const stateCount = spec.initialStates === true ? (first.kind === 'LSTM' ? 2 : 1) : 0;
  for (let k = 0; k < stateCount; k++) tensors.push(tensor([batch, first.units], seed + 90 + k));
  const make = (given: readonly tf.Tensor[]): GatedStackLayer[] => {
    const rest = [...given];
    const layers = parts.map(({ c, gateMasks, outputMask }, i): GatedStackLayer => {
      const [kernel, recurrentKernel, bias] = rest.splice(0, 3) as [
        tf.Tensor2D,
        tf.Tensor2D,
        tf.Tensor,
      ];
      const isLast = i === parts.length - 1;
      return {
        kind: c.kind === 'GRU-before' ? 'GRU' : c.kind,
        weights: { kernel, recurrentKernel, bias },
        options: {
          activation: 'tanh',
          recurrentActivation: 'sigmoid',
          resetAfter: c.kind === 'GRU',
          goBackwards: spec.goBackwards && i === 0,
          returnSequences: !isLast || spec.returnSequences,
          // The layers after the first read its outputs in processing order: so does the mask.
          stepMask:
            stepMask !== undefined && i > 0 && spec.goBackwards
              ? tf.reverse(stepMask, 1)
              : stepMask,
        },
        ...(gateMasks === undefined ? {} : { gateMasks }),
        ...(outputMask === undefined ? {} : { outputMask }),
      };
    });
    if (rest.length > 0) layers[0] = { ...layers[0], initialStates: rest as tf.Tensor2D[] };
    return layers;
  };
  return { tensors, constants, make };
}

/** [batch, steps, features] */
type Shape = [number, number, number];

interface Case {
  forward: StackSpec;
  backward: StackSpec;
  shape: Shape;
  threads: number;
  /** A step mask with padding at the start of each sample, one sample fully masked. */
  masked: boolean;
}

const lstm = (units: number): LayerSpec => ({ kind: 'LSTM', units });
const pair = (layers: LayerSpec[], returnSequences: boolean, backward = layers) => ({
  forward: { layers, goBackwards: false, returnSequences },
  backward: { layers: backward, goBackwards: true, returnSequences },
});

const CASES: [string, Case][] = [
  ['LSTM, last step', { ...pair([lstm(5)], false), shape: [5, 6, 3], threads: 1, masked: false }],
  [
    'LSTM, every step, masked, 37 samples on 2 threads',
    { ...pair([lstm(7)], true), shape: [37, 6, 6], threads: 2, masked: true },
  ],
  [
    'LSTM, last step, masked, 64 samples on 2 threads',
    { ...pair([lstm(20)], false), shape: [64, 9, 12], threads: 2, masked: true },
  ],
  [
    'LSTM, every step, masked, 64 samples on 4 threads (each stack in shares)',
    { ...pair([lstm(20)], true), shape: [64, 9, 12], threads: 4, masked: true },
  ],
  [
    'GRU (reset after), every step, masked',
    { ...pair([{ kind: 'GRU', units: 6 }], true), shape: [7, 5, 4], threads: 2, masked: true },
  ],
  [
    'GRU (reset before), last step',
    {
      ...pair([{ kind: 'GRU-before', units: 6 }], false),
      shape: [7, 5, 4],
      threads: 1,
      masked: false,
    },
  ],
  [
    'SimpleRNN, every step, masked, 2 threads',
    {
      ...pair([{ kind: 'SimpleRNN', units: 9 }], true),
      shape: [40, 5, 4],
      threads: 2,
      masked: true,
    },
  ],
  [
    'a StackedRNN (GRU -> LSTM, a Dropout mask between) each way, masked, 2 threads',
    {
      ...pair([{ kind: 'GRU', units: 8, outputMask: true }, lstm(6)], true),
      shape: [33, 6, 5],
      threads: 2,
      masked: true,
    },
  ],
  [
    'implementation 1 dropout (LSTM, GRU), masked, 2 threads',
    {
      ...pair([{ kind: 'LSTM', units: 6, dropout: true }], false, [
        { kind: 'GRU', units: 4, dropout: true },
      ]),
      shape: [36, 5, 7],
      threads: 2,
      masked: true,
    },
  ],
  [
    'a backward layer of other units and kind, initial states of both',
    {
      forward: {
        layers: [lstm(5)],
        goBackwards: false,
        returnSequences: true,
        initialStates: true,
      },
      backward: {
        layers: [{ kind: 'GRU', units: 3 }],
        goBackwards: true,
        returnSequences: true,
        initialStates: true,
      },
      shape: [6, 4, 3],
      threads: 2,
      masked: true,
    },
  ],
];

/** 1 at a sample's real steps (the last `length`), 0 at padding; sample 1 all padding. */
function stepMaskOf([batch, steps]: Shape): tf.Tensor2D {
  const values = Array.from({ length: batch * steps }, (_, k) => {
    const b = Math.floor(k / steps);
    const length = b === 1 ? 0 : 1 + ((b * 5) % steps);
    return k % steps >= steps - length ? 1 : 0;
  });
  return tf.tensor2d(values, [batch, steps]);
}

describe('wasmGatedStacks', () => {
  it.each(CASES)('%s: the stacks’ outputs and gradients one after the other', async (_, c) => {
    setThreads(c.threads);
    const x = tensor(c.shape, 1) as tf.Tensor3D;
    const stepMask = c.masked ? stepMaskOf(c.shape) : undefined;
    const makers = [c.forward, c.backward].map((s, k) =>
      stackMaker(s, c.shape, stepMask, 10 + 100 * k),
    );
    const counts = makers.map((m) => m.tensors.length);
    const targets = [c.forward, c.backward].map((s, k) => {
      const units = s.layers[s.layers.length - 1].units;
      return tensor(
        s.returnSequences ? [...c.shape.slice(0, 2), units] : [c.shape[0], units],
        7 + k,
      );
    });
    const loss =
      (paired: boolean) =>
      (...inputs: tf.Tensor[]): tf.Scalar => {
        const [xs, ...rest] = inputs;
        const stacks = makers.map((m, k) => ({
          x: xs as tf.Tensor3D,
          layers: m.make(rest.slice(k === 0 ? 0 : counts[0], k === 0 ? counts[0] : undefined)),
        }));
        const outs = paired
          ? wasmGatedStacks(stacks)
          : stacks.map((s) => wasmGatedStack(s.x, s.layers));
        // Different targets: each output's gradient reaches its own stack.
        return tf.addN<tf.Scalar>(outs.map((o, k) => tf.mean(tf.square(tf.sub(o, targets[k])))));
      };
    const inputs = [x, ...makers.flatMap((m) => m.tensors)];
    // A first gradient starts the worker pool for this thread count (blocks of its own).
    tf.dispose(tf.grads(loss(true))(inputs));
    const before = wasmKernelMemory();
    await expectSameValueAndGradients(loss(true), loss(false), inputs, 1e-6);
    const after = wasmKernelMemory();
    expect(after.blocksInUse).toBe(before.blocksInUse);
    expect(after.bytesInUse).toBe(before.bytesInUse);
    expect(after.pendingGradients).toBe(0);
    tf.dispose([...inputs, ...targets, ...makers.flatMap((m) => m.constants)]);
    if (stepMask !== undefined) stepMask.dispose();
  });

  it.each([0, 1])('back-propagates when only output %i leads to the loss', async (k) => {
    setThreads(2);
    const shape: Shape = [20, 5, 4];
    const x = tensor(shape, 1) as tf.Tensor3D;
    const makers = [false, true].map((goBackwards, j) =>
      stackMaker(
        { layers: [lstm(6)], goBackwards, returnSequences: true },
        shape,
        undefined,
        10 + 100 * j,
      ),
    );
    const loss =
      (paired: boolean) =>
      (...inputs: tf.Tensor[]): tf.Scalar => {
        const [xs, ...rest] = inputs;
        const stacks = makers.map((m, j) => ({
          x: xs as tf.Tensor3D,
          layers: m.make(rest.slice(3 * j, 3 * j + 3)),
        }));
        const outs = paired
          ? wasmGatedStacks(stacks)
          : stacks.map((s) => wasmGatedStack(s.x, s.layers));
        // The inputs that do not reach output k: a zero term, so that the reference (whose
        // other stack does not reach the loss) has a gradient of each too.
        const zero = tf.mul(0, tf.addN(inputs.map((t) => tf.sum(t))));
        return tf.add(tf.sum(tf.square(outs[k])), zero);
      };
    const inputs = [x, ...makers.flatMap((m) => m.tensors)];
    await expectSameValueAndGradients(loss(true), loss(false), inputs, 1e-6);
    tf.dispose(inputs);
  });

  it('returns the same outputs without a gradient tape, keeping nothing', () => {
    const shape: Shape = [9, 4, 3];
    const x = tensor(shape, 1) as tf.Tensor3D;
    const makers = [false, true].map((goBackwards, j) =>
      stackMaker(
        { layers: [lstm(5)], goBackwards, returnSequences: j === 0 },
        shape,
        undefined,
        3 + j,
      ),
    );
    const stacks = makers.map((m) => ({ x, layers: m.make(m.tensors) }));
    const paired = wasmGatedStacks(stacks);
    const apart = stacks.map((s) => wasmGatedStack(s.x, s.layers));
    paired.forEach((out, j) => {
      expect(out).toBeAllClose(apart[j], 0);
    });
    expect(wasmKernelMemory().pendingGradients).toBe(0);
    tf.dispose([x, ...paired, ...apart, ...makers.flatMap((m) => m.tensors)]);
  });

  it('refuses no stacks, and weights whose shapes do not fit, naming the weight', () => {
    expect(() => wasmGatedStacks([])).toThrow('wasmGatedStacks: expected at least one stack.');
    const x = tensor([2, 3, 2], 1) as tf.Tensor3D;
    const [m] = [
      stackMaker(
        { layers: [lstm(4)], goBackwards: false, returnSequences: false },
        [2, 3, 3],
        undefined,
        1,
      ),
    ];
    expect(() => wasmGatedStacks([{ x, layers: m.make(m.tensors) }])).toThrow(
      'LSTM: expected kernel of shape [2, 16], received [3, 16].',
    );
    tf.dispose([x, ...m.tensors]);
  });
});

describe('independentStacks', () => {
  it('runs a Bidirectional layer’s two runs as recurrentStack runs each, dropout of x included', async () => {
    setThreads(2);
    const shape: Shape = [24, 5, 4];
    const x = tensor(shape, 1) as tf.Tensor3D;
    const stepMask = stepMaskOf(shape);
    const inputMasks = [dropoutMask([24, 4], 0.7, 5), dropoutMask([24, 4], 0.7, 6)];
    const zeros = tf.tidy(() => tf.broadcastTo(tf.expandDims(stepMask, 2), [24, 5, 6]));
    const makers = [false, true].map((goBackwards, j) =>
      stackMaker(
        { layers: [lstm(6)], goBackwards, returnSequences: true },
        shape,
        stepMask,
        10 + 100 * j,
      ),
    );
    const runsOf = (rest: readonly tf.Tensor[]): RecurrentStackLayer[][] =>
      makers.map((m, j) => {
        const [layer] = m.make(rest.slice(3 * j, 3 * j + 3));
        // Implementation 2's input dropout, and the output's zeros at padding steps.
        return [{ ...layer, inputMask: inputMasks[j], outputMask: zeros }];
      });
    const loss =
      (paired: boolean) =>
      (...inputs: tf.Tensor[]): tf.Scalar => {
        const [xs, ...rest] = inputs;
        const runs = runsOf(rest);
        const outs = paired
          ? independentStacks(xs as tf.Tensor3D, runs)
          : runs.map((run) => recurrentStack(xs as tf.Tensor3D, run));
        return tf.add(tf.sum(tf.square(outs[0])), tf.sum(tf.sin(outs[1])));
      };
    const inputs = [x, ...makers.flatMap((m) => m.tensors)];
    await expectSameValueAndGradients(loss(true), loss(false), inputs, 1e-6);
    tf.dispose([...inputs, stepMask, zeros, ...inputMasks]);
  });
});
