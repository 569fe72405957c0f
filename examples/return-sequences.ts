/**
 * What `returnSequences` and `returnState` do to a SimpleRNN's output shape, the course's table.
 *
 * A recurrent layer takes [samples, timesteps, features]: `[2, 1, 3]` is 2 samples of 1 step
 * with 3 features each; `[1, 4, 2]` is 1 sample of 4 steps with 2 features each. It returns
 * the last step's output [samples, units], or with `returnSequences: true` every step's
 * [samples, timesteps, units] (what a recurrent layer after it needs). `returnState: true`
 * adds the final state [samples, units].
 *
 *   npm run example:return-sequences
 */
import * as tf from '@tensorflow/tfjs';
import { Sequential, SimpleRNN, backendName, useBackend } from 'tfjs-keras-rnn';
import { envPositiveInt } from './lib/options';
import { runExample } from './lib/run';
import { Seeds } from './lib/seeds';

const UNITS = 5;
const INPUT_SHAPES: [number, number, number][] = [
  [2, 1, 3],
  [1, 4, 2],
];

const show = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** A SimpleRNN(UNITS) whose weights come from `seed`: same seed, same weights. */
function simpleRnn(seed: number, returnSequences: boolean, returnState = false): SimpleRNN {
  const seeds = new Seeds(seed);
  return new SimpleRNN({
    units: UNITS,
    returnSequences,
    returnState,
    kernelInitializer: seeds.glorotUniform(),
    recurrentInitializer: seeds.orthogonal(),
  });
}

async function main(): Promise<void> {
  const seed = envPositiveInt('EXAMPLE_SEED', 42);
  await useBackend('auto');
  console.log(`Backend: ${backendName()}`);

  // A two-layer model: the first SimpleRNN must return sequences for the second to read them.
  const model = new Sequential([
    new SimpleRNN({ units: UNITS, returnSequences: true, inputShape: [4, 2] }),
    new SimpleRNN({ units: UNITS }),
  ]);
  model.summary();

  console.log(
    '\nA rank-2 input such as [2, 3] is an error: reshape it to [2, 1, 3] (1 step) first.',
  );
  const rank2 = tf.zeros([2, 3]);
  try {
    simpleRnn(seed, false).apply(rank2);
  } catch (err) {
    console.log(`  ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    rank2.dispose();
  }
  console.log(`\nSimpleRNN(${UNITS}) on random input:`);
  console.log('input       returnSequences   output');
  let worstDiff = 0;
  for (const shape of INPUT_SHAPES) {
    const x = tf.randomUniform(shape, 0, 1, 'float32', seed);
    const last = simpleRnn(seed, false).apply(x) as tf.Tensor;
    const all = simpleRnn(seed, true).apply(x) as tf.Tensor;
    console.log(`${show(shape).padEnd(11)} false             ${show(last.shape)}`);
    console.log(`${show(shape).padEnd(11)} true              ${show(all.shape)}`);
    // With the same weights, the last step of the sequence is the returnSequences: false output.
    const steps = shape[1];
    const diff = tf.tidy(() =>
      tf.max(tf.abs(tf.sub(tf.squeeze(tf.slice(all, [0, steps - 1, 0], [-1, 1, -1]), [1]), last))),
    );
    worstDiff = Math.max(worstDiff, diff.dataSync()[0]);
    tf.dispose([x, last, all, diff]);
  }
  console.log(
    `The last step of every returnSequences: true output equals the returnSequences: false output: max|diff| ${worstDiff}`,
  );

  console.log(`\nWith returnState: true the layer returns [output, final state]:`);
  console.log('input       returnSequences   output        state');
  for (const shape of INPUT_SHAPES) {
    for (const returnSequences of [false, true]) {
      const x = tf.randomUniform(shape, 0, 1, 'float32', seed);
      const [output, state] = simpleRnn(seed, returnSequences, true).apply(x) as [
        tf.Tensor,
        tf.Tensor,
      ];
      console.log(
        `${show(shape).padEnd(11)} ${String(returnSequences).padEnd(17)} ${show(output.shape).padEnd(13)} ${show(state.shape)}`,
      );
      tf.dispose([x, output, state]);
    }
  }

  model.dispose();
}

runExample(main);
