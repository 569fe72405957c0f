/**
 * Keras's step mask in the fused kernels (back-propagation through time written by hand)
 * against the step-by-step reference kernels that tfjs differentiates (cells/sequence.ts's
 * runSteps, the contract): the same outputs and the same gradients of x, every weight and the
 * initial state, for every kind of mask, direction and activation. Then what a mask means on
 * its own (a right-padded sample ends where its unpadded prefix does), and what it costs
 * without one (no select runs).
 */
import * as tf from '@tensorflow/tfjs';
import { gruSequence } from '../../../src/kernels/cells/gru';
import { fusedGruSequence } from '../../../src/kernels/cells/gru_fused';
import { lstmSequence } from '../../../src/kernels/cells/lstm';
import { fusedLstmSequence } from '../../../src/kernels/cells/lstm_fused';
import type { FusedActivation } from '../../../src/kernels/fused_steps';
import { fusedSimpleRnnSequence } from '../../../src/kernels/simple_rnn';
import { simpleRnnSequenceReference } from '../../../src/kernels/simple_rnn_reference';
import { pseudoRandomTensor as tensor } from '../../helpers/random_tensors';
import { expectSameValueAndGradients } from '../../helpers/same_gradients';
import { expectNoLeak, useTestBackend } from '../../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

type Kind = 'SimpleRNN' | 'LSTM' | 'GRU' | 'GRU, resetAfter false';
const KINDS: Kind[] = ['SimpleRNN', 'LSTM', 'GRU', 'GRU, resetAfter false'];

const [BATCH, STEPS, FEATURES, UNITS] = [4, 5, 3, 4];

/** Step masks [BATCH, STEPS] in input order, one sample a row. */
const MASKS = {
  'right-padded': [
    [1, 1, 1, 1, 1],
    [1, 1, 1, 0, 0],
    [1, 0, 0, 0, 0],
    [1, 1, 1, 1, 0],
  ],
  'left-padded': [
    [1, 1, 1, 1, 1],
    [0, 0, 1, 1, 1],
    [0, 0, 0, 0, 1],
    [0, 1, 1, 1, 1],
  ],
  random: [
    [1, 0, 1, 1, 0],
    [0, 1, 0, 1, 1],
    [1, 1, 0, 0, 1],
    [0, 0, 1, 0, 1],
  ],
  'a fully masked sample': [
    [1, 1, 0, 1, 1],
    [0, 0, 0, 0, 0],
    [1, 1, 1, 1, 1],
    [0, 1, 1, 0, 1],
  ],
  'every step runs': [
    [1, 1, 1, 1, 1],
    [1, 1, 1, 1, 1],
    [1, 1, 1, 1, 1],
    [1, 1, 1, 1, 1],
  ],
};
type MaskName = keyof typeof MASKS;

interface RunOptions {
  activation: FusedActivation;
  recurrentActivation: FusedActivation;
  goBackwards: boolean;
  returnSequences: boolean;
  stepMask?: tf.Tensor2D;
}

/** How many blocks of `units` columns a kind's kernels have. */
function gatesOf(kind: Kind): number {
  return kind === 'SimpleRNN' ? 1 : kind === 'LSTM' ? 4 : 3;
}

/** x, the kernel, the recurrent kernel, the bias and (SimpleRNN: the kernel takes one) h0. */
function inputsOf(kind: Kind, shape: { batch: number; steps: number }): tf.Tensor[] {
  const width = gatesOf(kind) * UNITS;
  const inputs = [
    tensor([shape.batch, shape.steps, FEATURES], 1),
    tensor([FEATURES, width], 2, 0.6),
    tensor([UNITS, width], 3, 0.6),
    tensor(kind === 'GRU' ? [2, width] : [width], 4, 0.5),
  ];
  if (kind === 'SimpleRNN') inputs.push(tensor([shape.batch, UNITS], 6, 0.8));
  return inputs;
}

/** The output of the fused kernel of `kind` or of its reference. */
function outputOf(kind: Kind, fused: boolean, o: RunOptions, inputs: tf.Tensor[]): tf.Tensor {
  const [x, kernel, recurrentKernel, bias, h0] = inputs as [
    tf.Tensor3D,
    tf.Tensor2D,
    tf.Tensor2D,
    tf.Tensor,
    tf.Tensor2D | undefined,
  ];
  const vectorBias = { kernel, recurrentKernel, bias: bias as tf.Tensor1D };
  if (kind === 'SimpleRNN') {
    const options = { ...o, initialState: h0 };
    const run = fused ? fusedSimpleRnnSequence : simpleRnnSequenceReference;
    return run(x, vectorBias, options).output;
  }
  if (kind === 'LSTM') {
    if (fused) return fusedLstmSequence(x, vectorBias, o);
    return lstmSequence(x, vectorBias, { ...o, implementation: 2 }).output;
  }
  const weights = { kernel, recurrentKernel, bias };
  const options = { ...o, resetAfter: kind === 'GRU' };
  if (fused) return fusedGruSequence(x, weights, options);
  return gruSequence(x, weights, { ...options, implementation: 2 }).output;
}

const ACTIVATIONS: FusedActivation[] = ['tanh', 'relu', 'sigmoid', 'linear'];

interface Case {
  mask: MaskName;
  goBackwards: boolean;
  returnSequences: boolean;
  activation: FusedActivation;
  recurrentActivation: FusedActivation;
}

/**
 * Every mask in both directions, returning sequences or not; the four combinations of a mask
 * take the four activations in turn, so that each activation meets each mask.
 */
const CASES: Case[] = (Object.keys(MASKS) as MaskName[]).flatMap((mask) =>
  [false, true].flatMap((goBackwards) =>
    [false, true].map((returnSequences, i) => {
      const k = 2 * Number(goBackwards) + i;
      return {
        mask,
        goBackwards,
        returnSequences,
        activation: ACTIVATIONS[k],
        // The gates' activation: sigmoid twice, then the others.
        recurrentActivation: ['sigmoid', 'sigmoid', 'tanh', 'linear'][k] as FusedActivation,
      };
    }),
  ),
);

const TABLE: [Kind, MaskName, string, Case][] = KINDS.flatMap((kind) =>
  CASES.map((c): [Kind, MaskName, string, Case] => [
    kind,
    c.mask,
    `${c.goBackwards ? 'goBackwards' : 'forwards'}, ${c.returnSequences ? 'every step' : 'last step'}, ${c.activation}/${c.recurrentActivation}`,
    c,
  ]),
);

describe('fused kernels with a step mask against the reference', () => {
  it.each(TABLE)('%s, %s mask, %s: same output and gradients', async (kind, mask, _how, c) => {
    const inputs = inputsOf(kind, { batch: BATCH, steps: STEPS });
    const stepMask = tf.tensor2d(MASKS[mask]);
    const shape = c.returnSequences ? [BATCH, STEPS, UNITS] : [BATCH, UNITS];
    // A weighted sum: every output element gets a gradient of its own.
    const weights = tensor(shape, 5);
    const loss =
      (fused: boolean) =>
      (...xs: tf.Tensor[]): tf.Scalar =>
        tf.sum(tf.mul(outputOf(kind, fused, { ...c, stepMask }, xs), weights));
    await expectSameValueAndGradients(loss(true), loss(false), inputs, 1e-5);
    tf.dispose([...inputs, stepMask, weights]);
  });
});

describe('what a step mask means, without the reference', () => {
  // Keras's padding: a sample right-padded to the batch's length ends with the state of its
  // unpadded prefix, read in either direction (backwards, the padding comes first and keeps
  // the initial state).
  it.each(KINDS.flatMap((kind) => [false, true].map((back): [Kind, boolean] => [kind, back])))(
    '%s (goBackwards %s): a right-padded sample ends where its prefix does',
    (kind, goBackwards) => {
      tf.tidy(() => {
        const length = 3;
        const inputs = inputsOf(kind, { batch: 2, steps: STEPS });
        const stepMask = tf.tensor2d([
          [1, 1, 1, 0, 0],
          [1, 1, 1, 1, 1],
        ]);
        const o = {
          activation: 'tanh' as const,
          recurrentActivation: 'sigmoid' as const,
          goBackwards,
          returnSequences: false,
        };
        const padded = outputOf(kind, true, { ...o, stepMask }, inputs);
        const [x, ...rest] = inputs;
        const prefix = [tf.slice(x, [0, 0, 0], [1, length, -1]), ...rest];
        if (kind === 'SimpleRNN') prefix[4] = tf.slice(rest[3], [0, 0], [1, -1]);
        expect(tf.slice(padded, [0, 0], [1, -1])).toBeAllClose(
          outputOf(kind, true, o, prefix),
          1e-6,
        );
      });
    },
  );
});

describe('the cost of the step mask', () => {
  /** The names of the kernels that a forward and backward pass of `kind` runs. */
  async function kernelsRun(kind: Kind, stepMask?: tf.Tensor2D): Promise<string[]> {
    const inputs = inputsOf(kind, { batch: BATCH, steps: STEPS });
    const o: RunOptions = {
      activation: 'tanh',
      recurrentActivation: 'sigmoid',
      goBackwards: true,
      returnSequences: true,
      stepMask,
    };
    const info = await tf.profile(() => {
      const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(outputOf(kind, true, o, xs)))(inputs);
      tf.dispose(grads);
    });
    tf.dispose(inputs);
    return info.kernelNames;
  }

  it.each(KINDS)('%s: no select runs without a mask, and one does with it', async (kind) => {
    expect(await kernelsRun(kind)).not.toContain('Select');
    const stepMask = tf.tensor2d(MASKS.random);
    expect(await kernelsRun(kind, stepMask)).toContain('Select');
    stepMask.dispose();
  });
});

describe('tensors', () => {
  it.each(KINDS)('%s with a step mask leaks none, forward alone or with backward', async (kind) => {
    const inputs = inputsOf(kind, { batch: BATCH, steps: STEPS });
    const stepMask = tf.tensor2d(MASKS['a fully masked sample']);
    const o: RunOptions = {
      activation: 'relu',
      recurrentActivation: 'sigmoid',
      goBackwards: false,
      returnSequences: false,
      stepMask,
    };
    await expectNoLeak(() => {
      outputOf(kind, true, o, inputs).dispose();
      const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) =>
        tf.sum(outputOf(kind, true, o, xs)),
      )(inputs);
      tf.dispose([value, ...grads]);
    });
    tf.dispose([...inputs, stepMask]);
  });
});
