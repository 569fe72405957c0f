/**
 * Stacks of gated layers in one WebAssembly op (wasmGatedStack), and stacks of every kind
 * (recurrentStack), against the same layers one by one as fused tfjs ops: the same output and
 * gradients of x and every weight, with Dropout masks between layers, goBackwards and both GRU
 * modes, on one thread and on several.
 */
import * as tf from '@tensorflow/tfjs';
import type { GatedStackLayer } from '../../../src/kernels/cells/gated_stack';
import { gruSequence } from '../../../src/kernels/cells/gru';
import { fusedGruSequence } from '../../../src/kernels/cells/gru_fused';
import { lstmSequence } from '../../../src/kernels/cells/lstm';
import { fusedLstmSequence } from '../../../src/kernels/cells/lstm_fused';
import { type RecurrentStackLayer, recurrentStack } from '../../../src/kernels/recurrent_stack';
import { fusedSimpleRnnSequence } from '../../../src/kernels/simple_rnn';
import { setThreads, wasmGatedStack, wasmKernelMemory } from '../../../src/kernels/wasm';
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

interface LayerCase {
  kind: Kind;
  units: number;
  goBackwards?: boolean;
  /** A Dropout mask of the output sequence (not on the last layer). */
  masked?: boolean;
  bias?: boolean;
  /**
   * Implementation 1 (gate by gate): with recurrent dropout masks per gate, also with input
   * dropout masks per gate ('both'), or none (inference with recurrent dropout configured).
   */
  implementation1?: 'recurrent' | 'both' | 'none';
}

const GATES: Record<Kind, number> = { LSTM: 4, GRU: 3, 'GRU-before': 3, SimpleRNN: 1 };

/** The layers of a case, with weights made from `seed`; the last returns its last state. */
function makeLayers(
  layers: readonly LayerCase[],
  [batch, steps, features]: [number, number, number],
  seed: number,
): { stack: RecurrentStackLayer[]; weights: tf.Tensor[] } {
  let width = features;
  const weights: tf.Tensor[] = [];
  const stack = layers.map((c, i): RecurrentStackLayer => {
    const gates = GATES[c.kind];
    const n = gates * c.units;
    const kernel = tensor([width, n], seed + 10 * i, 0.6) as tf.Tensor2D;
    const recurrentKernel = tensor([c.units, n], seed + 10 * i + 1, 0.6) as tf.Tensor2D;
    const biasShape = c.kind === 'GRU' ? [2, n] : [n];
    const bias = c.bias === false ? null : tensor(biasShape, seed + 10 * i + 2, 0.5);
    weights.push(kernel, recurrentKernel, ...(bias === null ? [] : [bias]));
    const returnSequences = i < layers.length - 1;
    const outputMask =
      c.masked === true
        ? tf.tidy(() =>
            tf.broadcastTo(tf.expandDims(dropoutMask([batch, c.units], 0.7, seed + i), 1), [
              batch,
              steps,
              c.units,
            ]),
          )
        : undefined;
    const gateMasks =
      c.implementation1 === undefined
        ? undefined
        : {
            recurrent:
              c.implementation1 === 'none'
                ? undefined
                : Array.from({ length: gates }, (_, k) =>
                    dropoutMask([batch, c.units], 0.6, seed + 100 + 10 * i + k),
                  ),
            input:
              c.implementation1 === 'both'
                ? Array.from({ length: gates }, (_, k) =>
                    dropoutMask([batch, width], 0.7, seed + 200 + 10 * i + k),
                  )
                : undefined,
          };
    width = c.units;
    const goBackwards = c.goBackwards ?? false;
    if (c.kind === 'SimpleRNN') {
      // A SimpleRNN's dropout masks: one of h (recurrent), one of x.
      return {
        weights: { kernel, recurrentKernel, bias: bias as tf.Tensor1D | null },
        options: {
          activation: 'tanh',
          goBackwards,
          returnSequences,
          recurrentMask: gateMasks?.recurrent?.[0],
          inputMask: gateMasks?.input?.[0],
        },
        outputMask,
      };
    }
    return {
      kind: c.kind === 'LSTM' ? 'LSTM' : 'GRU',
      weights: { kernel, recurrentKernel, bias },
      options: {
        activation: 'tanh',
        recurrentActivation: 'sigmoid',
        resetAfter: c.kind === 'GRU',
        goBackwards,
        returnSequences,
      },
      outputMask,
      gateMasks,
    };
  });
  return { stack, weights };
}

/**
 * The layers one by one as tfjs ops, each output times its mask: fused, or implementation 1 step
 * by step (tfjs differentiates it).
 */
function layerByLayer(x: tf.Tensor3D, stack: readonly RecurrentStackLayer[]): tf.Tensor {
  let h: tf.Tensor = x;
  for (const layer of stack) {
    const xs = h as tf.Tensor3D;
    if (!('kind' in layer)) {
      h = fusedSimpleRnnSequence(xs, layer.weights, layer.options).output;
    } else {
      const { kind, weights, options, gateMasks } = layer;
      const lstmWeights = { ...weights, bias: weights.bias as tf.Tensor1D | null };
      if (gateMasks !== undefined) {
        const stepOptions = {
          ...options,
          implementation: 1 as const,
          inputMasks: gateMasks.input,
          recurrentMasks: gateMasks.recurrent,
        };
        h =
          kind === 'LSTM'
            ? lstmSequence(xs, lstmWeights, stepOptions).output
            : gruSequence(xs, weights, stepOptions).output;
      } else {
        h =
          kind === 'LSTM'
            ? fusedLstmSequence(xs, lstmWeights, options)
            : fusedGruSequence(xs, weights, options);
      }
    }
    if (layer.outputMask !== undefined) h = tf.mul(h, layer.outputMask);
  }
  return h;
}

/** The stack's weights replaced by `inputs` in order (x first), for tf.grads. */
function withInputs(stack: readonly RecurrentStackLayer[], weights: readonly tf.Tensor[]) {
  const rest = [...weights];
  return stack.map((layer) => {
    const kernel = rest.shift() as tf.Tensor2D;
    const recurrentKernel = rest.shift() as tf.Tensor2D;
    const bias = layer.weights.bias === null ? null : (rest.shift() as tf.Tensor);
    return { ...layer, weights: { kernel, recurrentKernel, bias } } as RecurrentStackLayer;
  });
}

/** [batch, steps, features] of a case (default [19, 6, 3]). */
type Shape = [number, number, number];

const CASES: [string, LayerCase[], number, Shape?][] = [
  [
    'LSTM -> LSTM (the stock shape)',
    [
      { kind: 'LSTM', units: 6 },
      { kind: 'LSTM', units: 5 },
    ],
    1,
  ],
  [
    'GRU -> LSTM -> GRU (reset before), goBackwards first, a Dropout mask between',
    [
      { kind: 'GRU', units: 5, goBackwards: true, masked: true },
      { kind: 'LSTM', units: 7 },
      { kind: 'GRU-before', units: 4, bias: false },
    ],
    2,
  ],
  [
    'SimpleRNN -> GRU -> LSTM -> SimpleRNN (one kernel stack of every kind)',
    [
      { kind: 'SimpleRNN', units: 6, masked: true },
      { kind: 'GRU', units: 5 },
      { kind: 'LSTM', units: 4, masked: true },
      { kind: 'SimpleRNN', units: 3 },
    ],
    2,
  ],
  [
    'GRU -> SimpleRNN (dropout masks of x and h) -> LSTM, goBackwards SimpleRNN, on threads',
    [
      { kind: 'GRU', units: 24 },
      { kind: 'SimpleRNN', units: 30, implementation1: 'both', goBackwards: true, masked: true },
      { kind: 'LSTM', units: 9, implementation1: 'recurrent' },
    ],
    2,
    [64, 8, 20],
  ],
  [
    'LSTM -> GRU (reset before) -> GRU, large enough for shares and weight gradients in parts',
    [
      { kind: 'LSTM', units: 36 },
      { kind: 'GRU-before', units: 20, masked: true },
      { kind: 'GRU', units: 9 },
    ],
    2,
    [64, 8, 20],
  ],
  [
    'implementation 1 (recurrent dropout): LSTM -> GRU -> GRU (reset before), masks per gate',
    [
      { kind: 'LSTM', units: 6, implementation1: 'both', goBackwards: true },
      { kind: 'GRU', units: 5, implementation1: 'recurrent', masked: true },
      { kind: 'GRU-before', units: 7, implementation1: 'both' },
    ],
    1,
  ],
  [
    'implementation 1 with and without masks, next to implementation 2, on threads',
    [
      { kind: 'GRU', units: 36, implementation1: 'both' },
      { kind: 'LSTM', units: 20, implementation1: 'none' },
      { kind: 'GRU-before', units: 12, implementation1: 'recurrent' },
      { kind: 'LSTM', units: 9 },
    ],
    2,
    [64, 8, 20],
  ],
];

describe('gated and mixed kernel stacks', () => {
  it.each(CASES)('%s: the layers’ output and gradients one by one', async (...c) => {
    const [, cases, threads, size] = c;
    setThreads(threads);
    const shape: Shape = size ?? [19, 6, 3];
    const x = tensor(shape, 7) as tf.Tensor3D;
    const { stack, weights } = makeLayers(cases, shape, 20);
    const target = tensor([shape[0], cases[cases.length - 1].units], 9);
    const loss =
      (run: (x: tf.Tensor3D, layers: RecurrentStackLayer[]) => tf.Tensor) =>
      (...inputs: tf.Tensor[]): tf.Scalar => {
        const [xs, ...w] = inputs;
        const out = run(xs as tf.Tensor3D, withInputs(stack, w));
        return tf.mean(tf.square(tf.sub(out, target)));
      };
    const ours = loss((xs, layers) => recurrentStack(xs, layers));
    tf.dispose(tf.grads(ours)([x, ...weights]));
    const before = wasmKernelMemory().blocksInUse;
    await expectSameValueAndGradients(ours, loss(layerByLayer), [x, ...weights], 2e-6);
    expect(wasmKernelMemory().blocksInUse).toBe(before);
    expect(wasmKernelMemory().pendingGradients).toBe(0);
    const masks = stack.flatMap((l) => [
      ...(l.outputMask === undefined ? [] : [l.outputMask]),
      ...('kind' in l
        ? [...(l.gateMasks?.recurrent ?? []), ...(l.gateMasks?.input ?? [])]
        : [l.options.recurrentMask, l.options.inputMask].filter((m) => m !== undefined)),
    ]);
    tf.dispose([x, target, ...weights, ...masks]);
  });

  it('refuses a layer before the last that does not return sequences, naming it', () => {
    const x = tensor([2, 3, 2], 1) as tf.Tensor3D;
    const { stack, weights } = makeLayers(
      [
        { kind: 'LSTM', units: 4 },
        { kind: 'GRU', units: 3 },
      ],
      [2, 3, 2],
      3,
    );
    const first = stack[0] as GatedStackLayer;
    const layers: GatedStackLayer[] = [
      { ...first, options: { ...first.options, returnSequences: false } },
      stack[1] as GatedStackLayer,
    ];
    expect(() => wasmGatedStack(x, layers)).toThrow(
      'wasmGatedStack (layer 0, LSTM): every layer of a stack but the last must return sequences (the next one reads every step).',
    );
    tf.dispose([x, ...weights]);
  });
});
