/**
 * LSTM and GRU layers whose states go in or out (returnState, initialState, stateful) run in
 * the kernels' gated op instead of tfjs ops step by step: the step-by-step functions are not
 * called, and the outputs, states and gradients (of every weight and the initial states) are
 * the step-by-step run's (the same layer with TFJS_KERAS_RNN_KERNEL=fused); a stateful layer's
 * two half-sequence calls end where one whole call does.
 */
import * as tf from '@tensorflow/tfjs';
import { jest } from '@jest/globals';
import * as gruCells from '../../../src/kernels/cells/gru';
import * as lstmCells from '../../../src/kernels/cells/lstm';
import { wasmKernelMemory } from '../../../src/kernels/wasm';
import { registeredVariable } from '../../../src/models/forward';
import { GRU } from '../../../src/layers/rnn/gru';
import { LSTM } from '../../../src/layers/rnn/lstm';
import type { RNN } from '../../../src/layers/rnn/rnn';
import { pseudoRandomTensor as tensor } from '../../helpers/random_tensors';
import { expectNoLeak, useTestBackend } from '../../helpers/tensors';
import { withFusedKernels } from './gated_states_case';

beforeAll(async () => {
  await useTestBackend();
});

afterEach(() => {
  jest.restoreAllMocks();
});

/** Spies on the step-by-step LSTM and GRU (calling through). */
function spySteps() {
  return [jest.spyOn(lstmCells, 'lstmSequence'), jest.spyOn(gruCells, 'gruSequence')];
}

type Make = (args: { returnSequences?: boolean; stateful?: boolean }) => RNN;

const KINDS: [string, Make, number][] = [
  ['LSTM', (args) => new LSTM({ units: 5, returnState: true, ...args }), 2],
  ['GRU', (args) => new GRU({ units: 5, returnState: true, ...args }), 1],
  [
    'GRU (resetAfter: false)',
    (args) => new GRU({ units: 5, returnState: true, resetAfter: false, ...args }),
    1,
  ],
];

const CASES: [string, Make, number, boolean, boolean][] = KINDS.flatMap(([kind, make, states]) =>
  [false, true].flatMap((returnSequences) =>
    [false, true].map((masked): [string, Make, number, boolean, boolean] => [
      `${kind}${returnSequences ? ', every step' : ''}${masked ? ', masked' : ''}`,
      make,
      states,
      returnSequences,
      masked,
    ]),
  ),
);

/** The layer's outputs and the gradients of a loss of all of them by every weight and state. */
function runLayer(
  layer: RNN,
  x: tf.Tensor3D,
  initial: tf.Tensor[],
  mask: tf.Tensor | undefined,
): tf.Tensor[] {
  return tf.tidy(() => {
    const apply = (states: tf.Tensor[]): tf.Tensor[] =>
      layer.apply(x, {
        initialState: states,
        ...(mask === undefined ? {} : { mask }),
      }) as tf.Tensor[];
    const loss = (...states: tf.Tensor[]): tf.Scalar =>
      tf.addN<tf.Scalar>(apply(states).map((t, i) => tf.sum(tf.mul(tf.sin(t), i + 1))));
    const variables = layer.trainableWeights.map(registeredVariable);
    const { value, grads } = tf.variableGrads(() => loss(...initial), variables);
    return [
      ...apply(initial),
      value,
      ...variables.map((v) => grads[v.name] ?? tf.scalar(Number.NaN)),
      ...tf.grads(loss)(initial),
    ];
  });
}

describe('LSTM and GRU layers with states in and out', () => {
  it.each(CASES)(
    '%s: returnState with initialState runs in the kernels, with the step-by-step values',
    async (_what, make, stateCount, returnSequences, masked) => {
      const layer = make({ returnSequences });
      const x = tensor([4, 6, 3], 1) as tf.Tensor3D;
      const initial = Array.from({ length: stateCount }, (_, k) => tensor([4, 5], 2 + k, 0.8));
      const mask = masked
        ? tf.tensor2d([
            [1, 1, 1, 1, 0, 0],
            [0, 0, 0, 0, 0, 0],
            [1, 1, 1, 1, 1, 1],
            [1, 0, 1, 1, 0, 1],
          ])
        : undefined;
      tf.dispose(layer.apply(x) as tf.Tensor[]); // builds the weights
      const spies = spySteps();
      const steps = withFusedKernels(() => runLayer(layer, x, initial, mask));
      // The spies see the step-by-step run: they would see one in the kernels' place.
      expect(spies.some((spy) => spy.mock.calls.length > 0)).toBe(true);
      for (const spy of spies) spy.mockClear();
      // A first gradient starts the worker pool (blocks of its own).
      tf.dispose(runLayer(layer, x, initial, mask));
      const before = wasmKernelMemory().blocksInUse;
      await expectNoLeak(() => {
        const kernels = runLayer(layer, x, initial, mask);
        expect(kernels).toHaveLength(steps.length);
        kernels.forEach((t, i) => {
          expect(t).toBeAllClose(steps[i], 5e-6, 1e-6);
        });
        tf.dispose(kernels);
      });
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
      expect(wasmKernelMemory().blocksInUse).toBe(before);
      expect(wasmKernelMemory().pendingGradients).toBe(0);
      tf.dispose([...steps, x, ...initial, ...(mask === undefined ? [] : [mask])]);
      layer.dispose();
    },
  );

  it.each(KINDS)(
    '%s, stateful: two half-sequence calls end where one whole call does, in the kernels',
    async (_kind, make) => {
      const whole = make({ returnSequences: true });
      const halves = make({ returnSequences: true, stateful: true });
      const x = tensor([4, 8, 3], 5) as tf.Tensor3D;
      const first = tf.slice(x, [0, 0, 0], [4, 4, 3]);
      const second = tf.slice(x, [0, 4, 0], [4, 4, 3]);
      tf.dispose(whole.apply(x) as tf.Tensor[]);
      tf.dispose(halves.apply(first) as tf.Tensor[]);
      halves.setWeights(whole.getWeights());
      halves.resetStates();
      const spies = spySteps();
      await expectNoLeak(() => {
        const [expected, ...expectedStates] = whole.apply(x) as tf.Tensor[];
        const [a, ...statesA] = halves.apply(first) as tf.Tensor[];
        const [b, ...statesB] = halves.apply(second) as tf.Tensor[];
        const carried = halves.getStates();
        const joined = tf.concat([a, b], 1);
        expect(joined).toBeAllClose(expected, 2e-6);
        statesB.forEach((s, k) => {
          expect(s).toBeAllClose(expectedStates[k], 2e-6);
          expect(carried[k]).toBeAllClose(expectedStates[k], 0);
        });
        tf.dispose([expected, a, b, joined, ...expectedStates, ...statesA, ...statesB, ...carried]);
        halves.resetStates();
      });
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
      tf.dispose([x, first, second]);
      whole.dispose();
      halves.dispose();
    },
  );
});
