/**
 * Predict the next letter from the four before it (the course's "abcd -> e"):
 *
 *   abcd -> e   bcde -> a   cdea -> b   deab -> c   eabc -> d
 *
 * Each letter is a one-hot vector of 5, so the input is [5 samples, 4 steps, 5 features];
 * SimpleRNN(3) reads the four steps and Dense(5, softmax) gives the next letter's probabilities.
 * After training, `stepStates` gives h_1..h_4 and the same Dense head reads each one: what the
 * model makes of 'a', 'ab', 'abc' and 'abcd' (the course's semantic meaning of the states).
 *
 *   npm run demo                          (= npm run example:letters-4steps)
 *   EXAMPLE_EPOCHS=20 npm run demo        a short run
 *   EXAMPLE_SEED=7 EXAMPLE_VERBOSE=1 ...  another seed; Keras's progress bar per epoch
 */
import * as tf from '@tensorflow/tfjs';
import {
  COURSE_LETTERS,
  Dense,
  Sequential,
  SimpleRNN,
  backendName,
  nextLetterSamples,
  useBackend,
} from 'tfjs-keras-rnn';
import { lastValue } from './lib/history';
import { printPredictions } from './lib/letters';
import { envPositiveInt, envVerbose } from './lib/options';
import { runExample } from './lib/run';
import { Seeds } from './lib/seeds';
import { printStepMeanings, stepPredictions } from './lib/step_meaning';

const STEPS = 4;
const LETTERS = COURSE_LETTERS; // 'abcde'

async function main(): Promise<void> {
  // 300 epochs: over 60 seeds, the slowest run had all five right from epoch 126 on.
  const epochs = envPositiveInt('EXAMPLE_EPOCHS', 300);
  const seed = envPositiveInt('EXAMPLE_SEED', 42);
  const verbose = envVerbose('EXAMPLE_VERBOSE', 2); // one line per epoch
  await useBackend('auto');
  console.log(`Backend: ${backendName()}`);

  // The data: five samples of four one-hot letters, and the next letter as a class index.
  const samples = nextLetterSamples(STEPS, LETTERS);
  const x = tf.tidy(() => tf.oneHot(tf.tensor2d(samples.x, undefined, 'int32'), LETTERS.length));
  const y = tf.tensor1d(samples.y);
  console.log(
    `x ${JSON.stringify(x.shape)} (one-hot), y ${JSON.stringify(y.shape)} (letter index)`,
  );

  // The model: SimpleRNN(3) -> Dense(5, softmax), seeded so every run is the same.
  const seeds = new Seeds(seed);
  const model = new Sequential([
    new SimpleRNN({
      units: 3,
      inputShape: [STEPS, LETTERS.length],
      kernelInitializer: seeds.glorotUniform(),
      recurrentInitializer: seeds.orthogonal(),
    }),
    new Dense({
      units: LETTERS.length,
      activation: 'softmax',
      kernelInitializer: seeds.glorotUniform(),
    }),
  ]);
  model.compile({
    optimizer: { name: 'adam', learningRate: 0.01 },
    loss: 'sparse_categorical_crossentropy',
    metrics: ['accuracy'],
  });
  model.summary();

  const history = await model.fit(x, y, { epochs, batchSize: 32, verbose });
  console.log(
    `\nAfter ${epochs} epochs: loss ${lastValue(history, 'loss')}, accuracy ${lastValue(history, 'accuracy', 2)}`,
  );

  // The predictions: the most probable next letter for each input.
  console.log('Predictions:');
  const probabilities = model.predict(x, { verbose: 0 });
  printPredictions(samples, probabilities, LETTERS);

  // What each step's state means: h_1 read 'a', h_2 'ab', ..., h_4 the whole 'abcd'
  // (stepStates), each through the trained Dense softmax.
  printStepMeanings(samples, stepPredictions(model, x), LETTERS);

  tf.dispose([x, y, probabilities]);
  model.dispose();
}

runExample(main);
