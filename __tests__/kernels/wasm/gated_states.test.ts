/**
 * The gated op with states (`wasmGatedSequence`: initial states in, last states out) against
 * the reference step by step (`lstmSequence`, `gruSequence`, `simpleRnnSequenceReference` with
 * their initial states): the same output, the same last states, and the same gradients of x,
 * every weight and the initial states, for losses of the output, of the last states and of
 * both; with step masks (a fully masked sample among them), goBackwards, both GRU reset modes,
 * implementation 1's dropout masks and implementation 2's input mask, on one thread and split
 * over two; leaking neither tensors nor the kernels' memory.
 */
import * as tf from '@tensorflow/tfjs';
import { gatedSequence, type GatedStackLayer } from '../../../src/kernels/cells/gated_stack';
import { setThreads, wasmGatedSequence, wasmKernelMemory } from '../../../src/kernels/wasm';
import { expectSameValueAndGradients } from '../../helpers/same_gradients';
import { expectNoLeak, useTestBackend } from '../../helpers/tensors';
import { type Kind, type StatesCase, buildCase, withFusedKernels } from './gated_states_case';

beforeAll(async () => {
  await useTestBackend();
});

afterEach(() => {
  setThreads(undefined);
});

/** Each kind in every arrangement that changes where the states' gradients go. */
function variants(kind: Kind): [string, StatesCase][] {
  const cases: [string, StatesCase][] = [
    [
      'last step, loss of the output and the states',
      { kind, returnSequences: false, loss: 'both' },
    ],
    ['every step, loss of both', { kind, returnSequences: true, loss: 'both' }],
    ['every step, loss of the states only', { kind, returnSequences: true, loss: 'states' }],
    [
      'every step, loss of the output only, a random step mask',
      { kind, returnSequences: true, loss: 'output', mask: 'random' },
    ],
    [
      'goBackwards, every step, a sample fully masked, loss of both',
      {
        kind,
        returnSequences: true,
        goBackwards: true,
        mask: 'a sample fully masked',
        loss: 'both',
      },
    ],
    [
      'goBackwards, last step, right-padded, loss of the states only',
      { kind, returnSequences: false, goBackwards: true, mask: 'right-padded', loss: 'states' },
    ],
    [
      'implementation 1 (dropout masks per gate), every step, left-padded, loss of both',
      { kind, returnSequences: true, implementation1: true, mask: 'left-padded', loss: 'both' },
    ],
    [
      'implementation 2’s input mask, last step, loss of both',
      { kind, returnSequences: false, inputMask: true, loss: 'both' },
    ],
    [
      'no initial states (zeros), every step, loss of both',
      { kind, returnSequences: true, initialStates: false, loss: 'both' },
    ],
    [
      'no bias, one step, loss of both',
      { kind, returnSequences: true, bias: false, sizes: [3, 1, 2, 4], loss: 'both' },
    ],
    [
      '37 samples, 7 units, 6 features over 2 threads, every step, random mask, loss of both',
      {
        kind,
        returnSequences: true,
        mask: 'random',
        loss: 'both',
        sizes: [37, 6, 6, 7],
        threads: 2,
      },
    ],
    [
      '64 samples over 2 threads, implementation 1, goBackwards, last step, loss of both',
      {
        kind,
        returnSequences: false,
        goBackwards: true,
        implementation1: true,
        mask: 'a sample fully masked',
        loss: 'both',
        sizes: [64, 5, 20, 24],
        threads: 2,
      },
    ],
  ];
  return cases.map(([what, c]) => [`${kind}, ${what}`, c]);
}

const CASES: [string, StatesCase][] = [
  ...variants('LSTM'),
  ...variants('GRU'),
  ...variants('GRU-before'),
  ...variants('SimpleRNN'),
];

describe('wasmGatedSequence (initial and last states)', () => {
  it.each(CASES)('%s: the reference’s output, states and gradients', async (_what, c) => {
    setThreads(c.threads ?? 1);
    const built = buildCase(c, 3);
    const { inputs, ours, reference, loss } = built;
    // A first gradient starts the worker pool for this thread count (blocks of its own).
    tf.dispose(tf.grads((...t: tf.Tensor[]) => loss(ours(t)))(inputs));
    const before = wasmKernelMemory().blocksInUse;
    await expectNoLeak(() => {
      tf.tidy(() => {
        const got = ours(inputs);
        const expected = reference(inputs);
        expect(got.output).toBeAllClose(expected.output, 2e-6);
        expect(got.states).toHaveLength(expected.states.length);
        got.states.forEach((s, k) => {
          expect(s).toBeAllClose(expected.states[k], 2e-6);
        });
      });
    });
    await expectSameValueAndGradients(
      (...t) => loss(ours(t)),
      (...t) => loss(reference(t)),
      inputs,
      2e-6,
    );
    expect(wasmKernelMemory().blocksInUse).toBe(before);
    expect(wasmKernelMemory().pendingGradients).toBe(0);
    tf.dispose(built.tensors);
  });

  it.each<Kind>(['LSTM', 'GRU', 'SimpleRNN'])(
    '%s: a fully masked sample ends with its initial states, and their gradient is the last states’',
    (kind) => {
      const c: StatesCase = {
        kind,
        returnSequences: false,
        mask: 'a sample fully masked',
        loss: 'states',
      };
      const built = buildCase(c, 5);
      const { inputs, ours, loss } = built;
      const initial = inputs.slice(-(kind === 'LSTM' ? 2 : 1));
      const row = (t: tf.Tensor): number[][] =>
        tf.slice(t, [1, 0], [1, -1]).arraySync() as number[][];
      tf.tidy(() => {
        const { states } = ours(inputs);
        // Sample 1 is masked at every step (see stepMaskOf).
        states.forEach((s, k) => {
          expect(row(s)).toEqual(row(initial[k]));
        });
        // d loss / d s0 = d loss / d s_T for that sample: 2 (s - target) / size.
        const grads = tf
          .grads((...t: tf.Tensor[]) => loss(ours(t)))(inputs)
          .slice(-initial.length);
        const direct = tf.grads((...s: tf.Tensor[]) => loss({ output: states[0], states: s }))([
          ...states,
        ]);
        grads.forEach((g, k) => {
          expect(row(g)).toEqual(row(direct[k]));
        });
      });
      tf.dispose(built.tensors);
    },
  );

  it('without a gradient tape returns the same, keeping nothing', () => {
    const built = buildCase(
      { kind: 'LSTM', returnSequences: true, mask: 'random', loss: 'both' },
      7,
    );
    tf.tidy(() => {
      const got = built.ours(built.inputs);
      const expected = built.reference(built.inputs);
      expect(got.output).toBeAllClose(expected.output, 2e-6);
      got.states.forEach((s, k) => {
        expect(s).toBeAllClose(expected.states[k], 2e-6);
      });
    });
    expect(wasmKernelMemory().pendingGradients).toBe(0);
    tf.dispose(built.tensors);
  });

  it('without returnState gives the output alone, from the initial states', () => {
    const built = buildCase({ kind: 'GRU', returnSequences: true, loss: 'output' }, 9);
    const [x, kernel, recurrentKernel, bias, h0] = built.inputs;
    const layer: GatedStackLayer = {
      kind: 'GRU',
      weights: {
        kernel: kernel as tf.Tensor2D,
        recurrentKernel: recurrentKernel as tf.Tensor2D,
        bias,
      },
      options: {
        activation: 'tanh',
        recurrentActivation: 'sigmoid',
        resetAfter: true,
        goBackwards: false,
        returnSequences: true,
      },
      initialStates: [h0 as tf.Tensor2D],
    };
    tf.tidy(() => {
      const { output, states } = wasmGatedSequence(x as tf.Tensor3D, layer, { returnState: false });
      expect(states).toEqual([]);
      expect(output).toBeAllClose(built.reference(built.inputs).output, 2e-6);
    });
    tf.dispose(built.tensors);
  });

  it('gatedSequence runs the tfjs ops step by step where the kernels do not (TFJS_KERAS_RNN_KERNEL=fused)', () => {
    const built = buildCase(
      { kind: 'LSTM', returnSequences: false, mask: 'random', loss: 'both' },
      11,
    );
    const [x, kernel, recurrentKernel, bias, h0, c0] = built.inputs as tf.Tensor2D[];
    const layer: GatedStackLayer = {
      kind: 'LSTM',
      weights: { kernel, recurrentKernel, bias },
      options: {
        activation: 'tanh',
        recurrentActivation: 'sigmoid',
        resetAfter: false,
        goBackwards: false,
        returnSequences: false,
        stepMask: built.stepMask,
      },
      initialStates: [h0, c0],
    };
    const run = (): tf.Tensor[] => {
      const { output, states } = gatedSequence(x as unknown as tf.Tensor3D, layer, {
        returnState: true,
      });
      return [output, ...states];
    };
    const kernels = run();
    const fused = withFusedKernels(run);
    expect(fused).toHaveLength(3);
    fused.forEach((t, i) => {
      expect(t).toBeAllClose(kernels[i], 2e-6);
    });
    tf.dispose(fused);
    tf.dispose([...kernels, ...built.tensors]);
  });

  it.each<[string, (states: tf.Tensor2D[]) => tf.Tensor2D[], RegExp]>([
    [
      'one state for an LSTM',
      (s) => s.slice(0, 1),
      /^LSTM: expected 2 initial states \(h, c\), received 1\.$/,
    ],
    [
      'a state of the wrong batch',
      (s) => [s[0], tf.zeros([3, 5])],
      /^LSTM: expected initial state c of shape \[5, 5\], received \[3, 5\]\.$/,
    ],
    [
      'a state of the wrong width',
      (s) => [tf.zeros([5, 4]), s[1]],
      /^LSTM: expected initial state h of shape \[5, 5\], received \[5, 4\]\.$/,
    ],
  ])('refuses %s, naming the state', (_what, states, message) => {
    const built = buildCase({ kind: 'LSTM', returnSequences: false, loss: 'both' }, 13);
    const [x, kernel, recurrentKernel, bias, h0, c0] = built.inputs as tf.Tensor2D[];
    const given = states([h0, c0]);
    const layer: GatedStackLayer = {
      kind: 'LSTM',
      weights: { kernel, recurrentKernel, bias },
      options: {
        activation: 'tanh',
        recurrentActivation: 'sigmoid',
        resetAfter: false,
        goBackwards: false,
        returnSequences: false,
      },
      initialStates: given,
    };
    const before = wasmKernelMemory().blocksInUse;
    expect(() =>
      wasmGatedSequence(x as unknown as tf.Tensor3D, layer, { returnState: true }),
    ).toThrow(message);
    expect(wasmKernelMemory().blocksInUse).toBe(before);
    tf.dispose([...given.filter((s) => s !== h0 && s !== c0), ...built.tensors]);
  });
});
