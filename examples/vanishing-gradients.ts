/**
 * Vanishing and exploding gradients, measured (the course's last chapter): why a SimpleRNN
 * cannot learn what happened long ago, how LSTM and GRU can, and what clipping does.
 *
 * 1. The task: step 1 of a sequence shows one of 4 classes (one-hot), steps 2..T are noise
 *    symbols; the class must be told at step T. Chance is 25%. Every epoch draws 1024 new
 *    sequences (no noise pattern can be memorized); the test set is 512 other ones.
 * 2. Five models of about the same number of parameters (~1,700): SimpleRNN, LSTM and GRU with
 *    Keras's initializers, and LSTM and GRU whose memory gates start open ("chrono
 *    initialization"), each -> Dense(4, softmax), trained with Adam for T = 10, 30 and 100.
 * 3. `gradientFlow` before and after training: ‖dL/dh_t‖ at every step t, and the ratio
 *    ‖dL/dh_1‖ / ‖dL/dh_T‖, how much of the gradient at the last step reaches the first.
 * 4. A relu SimpleRNN whose recurrent matrix is orthogonal times 2 (the gradient explodes toward
 *    the early steps), trained without and with `clipnorm: 1`.
 * 5. Pictures (SVG and PNG): flow-T30, flow-T100, states-T30 (`stepStates`: h_t of one test
 *    sequence after training) and explode.
 *
 * Weights, gate biases and data are seeded: every run prints the same numbers on one backend.
 *
 *   npm run example:vanishing-gradients                      30 epochs, pictures in out/vanishing-gradients/
 *   npm run example:vanishing-gradients -- --out /tmp/vg     another folder (or EXAMPLE_OUT_DIR)
 *   EXAMPLE_EPOCHS=2 EXAMPLE_SEED=7 ...                      a short run; another seed
 */
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  Dense,
  GRU,
  type GradientFlow,
  LSTM,
  type LayerStepStates,
  Sequential,
  SimpleRNN,
  backendName,
  gradientFlow,
  orthogonalInitializer,
  stepStates,
  useBackend,
} from 'tfjs-keras-rnn';
import {
  type ChartFiles,
  type LabelledFlow,
  plotGradientFlow,
  plotStepStates,
} from './lib/flow_charts';
import { openGates } from './lib/gate_bias';
import { type FirstSymbolTask, firstSymbolTask } from './lib/long_memory';
import { historyValues } from './lib/history';
import { envPositiveInt, optionValue } from './lib/options';
import { type CellKind, modelParams, unitsForBudget } from './lib/param_budget';
import { runExample } from './lib/run';
import { Seeds } from './lib/seeds';

const CLASSES = 4;
const NOISE_SYMBOLS = 4;
const FEATURES = CLASSES + NOISE_SYMBOLS;
const STEPS = [10, 30, 100];
const PICTURED_STEPS = [30, 100]; // flow-T<steps> pictures and the ratio table
const STATES_STEPS = 30; // the states-T30 picture
const TRAIN_SAMPLES = 1024; // drawn anew every epoch
const TEST_SAMPLES = 512;
const FLOW_SAMPLES = 256; // the batch gradientFlow measures on
const BATCH_SIZE = 64;
const LEARNING_RATE = 0.003;
const BUDGET = modelParams('lstm', FEATURES, 16, CLASSES); // LSTM(16) + Dense(4): 1,668
const EXPLODE_GAIN = 2;

/** One of the compared models. */
interface Contender {
  name: string;
  kind: CellKind;
  units: number;
  /** Chrono initialization of the gate biases (LSTM, GRU). */
  openGates: boolean;
}

/** What one contender did at one sequence length. */
interface Outcome {
  accuracy: number;
  before: GradientFlow;
  after: GradientFlow;
}

const CELLS = { simple_rnn: SimpleRNN, lstm: LSTM, gru: GRU } as const;
const CLASS_NAMES = { simple_rnn: 'SimpleRNN', lstm: 'LSTM', gru: 'GRU' } as const;

function contenders(): Contender[] {
  const kinds: [CellKind, boolean][] = [
    ['simple_rnn', false],
    ['lstm', false],
    ['gru', false],
    ['lstm', true],
    ['gru', true],
  ];
  return kinds.map(([kind, open]) => {
    const units = unitsForBudget(kind, FEATURES, CLASSES, BUDGET);
    return {
      name: `${CLASS_NAMES[kind]}(${units})${open ? ', gates open' : ''}`,
      kind,
      units,
      openGates: open,
    };
  });
}

/** The contender's model for sequences of `steps` steps, compiled; the same weights for any `steps`. */
function buildModel(c: Contender, steps: number, seed: number): Sequential {
  const seeds = new Seeds(seed);
  const Recurrent = CELLS[c.kind];
  const model = new Sequential([
    new Recurrent({
      units: c.units,
      inputShape: [steps, FEATURES],
      kernelInitializer: seeds.glorotUniform(),
      recurrentInitializer: seeds.orthogonal(),
    }),
    new Dense({ units: CLASSES, activation: 'softmax', kernelInitializer: seeds.glorotUniform() }),
  ]);
  if (c.openGates && c.kind !== 'simple_rnn') {
    openGates(model.layers[0], c.kind, c.units, steps, seeds.seed());
  }
  model.compile({
    optimizer: { name: 'adam', learningRate: LEARNING_RATE },
    loss: 'sparse_categorical_crossentropy',
    metrics: ['accuracy'],
  });
  return model;
}

/** A seed for the data of sequence length `steps`; `k` tells the draws apart (epochs, test). */
const dataSeed = (seed: number, steps: number, k: number): number =>
  seed * 100_000 + steps * 1000 + k;

/** Trains `epochs` epochs, each on newly drawn sequences; returns each epoch's loss. */
async function trainOnFreshData(
  model: Sequential,
  steps: number,
  epochs: number,
  seed: number,
): Promise<number[]> {
  const losses: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    const data = firstSymbolTask({
      samples: TRAIN_SAMPLES,
      steps,
      seed: dataSeed(seed, steps, epoch),
    });
    const history = await model.fit(data.x, data.y, {
      batchSize: BATCH_SIZE,
      shuffle: false,
      verbose: 0,
    });
    losses.push(historyValues(history, 'loss').at(0) ?? Number.NaN);
    tf.dispose([data.x, data.y]);
  }
  return losses;
}

async function testAccuracy(model: Sequential, test: FirstSymbolTask): Promise<number> {
  const result = await model.evaluate(test.x, test.y, { verbose: 0 });
  return Array.isArray(result) ? (result[1] ?? Number.NaN) : Number.NaN;
}

/** ‖dL/dh_1‖ / ‖dL/dh_T‖ of the first recurrent layer, or with `cell` an LSTM's ‖dL/dc_1‖ / ‖dL/dc_T‖. */
function flowRatio(flow: GradientFlow, cell = false): number {
  const layer = flow.layers.at(0);
  const norms = (cell ? layer?.cellNorms : layer?.stepNorms) ?? [];
  return (norms.at(0) ?? Number.NaN) / (norms.at(-1) ?? Number.NaN);
}

const percent = (v: number): string => `${(100 * v).toFixed(1)}%`;
const sci = (v: number): string => (v === 0 ? '0 (underflow)' : v.toExponential(1));

async function main(): Promise<void> {
  const epochs = envPositiveInt('EXAMPLE_EPOCHS', 30);
  const seed = envPositiveInt('EXAMPLE_SEED', 42);
  const outDir = resolve(optionValue('out', 'EXAMPLE_OUT_DIR', 'out/vanishing-gradients'));
  await useBackend('auto');
  console.log(`Backend: ${backendName()}`);
  const started = Date.now();

  console.log(
    `\nThe task: step 1 shows one of ${CLASSES} classes, steps 2..T are noise; tell the class at step T (chance ${percent(1 / CLASSES)}).`,
  );
  console.log(
    `Each of ${epochs} epochs draws ${TRAIN_SAMPLES} new sequences; ${TEST_SAMPLES} others test; gradientFlow measures on ${FLOW_SAMPLES}.`,
  );
  const models = contenders();
  console.log(`\nModels (-> Dense(${CLASSES}, softmax)), near ${BUDGET} parameters each:`);
  for (const c of models) {
    const model = buildModel(c, STEPS[0] ?? 10, seed);
    console.log(`  ${c.name.padEnd(26)} ${String(model.countParams()).padStart(5)} parameters`);
    model.dispose();
  }

  const outcomes = new Map<string, Outcome>(); // by `${name}@${steps}`
  const files: ChartFiles[] = [];
  for (const steps of STEPS) {
    console.log(`\nT = ${steps}:`);
    const test = firstSymbolTask({
      samples: TEST_SAMPLES,
      steps,
      seed: dataSeed(seed, steps, 999),
    });
    const probe = firstSymbolTask({
      samples: FLOW_SAMPLES,
      steps,
      seed: dataSeed(seed, steps, 998),
    });
    const states: LayerStepStates[] = [];
    for (const c of models) {
      const model = buildModel(c, steps, seed);
      const before = await gradientFlow(model, probe.x, probe.y);
      await trainOnFreshData(model, steps, epochs, seed);
      const accuracy = await testAccuracy(model, test);
      const after = await gradientFlow(model, probe.x, probe.y);
      outcomes.set(`${c.name}@${steps}`, { accuracy, before, after });
      console.log(
        `  ${c.name.padEnd(26)} test accuracy ${percent(accuracy).padStart(6)}   ‖dL/dh_1‖/‖dL/dh_T‖ ${sci(flowRatio(before))} -> ${sci(flowRatio(after))}`,
      );
      if (steps === STATES_STEPS) {
        const first = test.x.slice([0, 0, 0], [1, steps, FEATURES]);
        const layer = stepStates(model, first).layers.at(0);
        first.dispose();
        if (layer !== undefined) states.push({ ...layer, layer: c.name });
      }
      model.dispose();
    }
    if (PICTURED_STEPS.includes(steps)) {
      const flows: LabelledFlow[] = models.flatMap((c) => {
        const o = outcomes.get(`${c.name}@${steps}`);
        return o === undefined
          ? []
          : [
              { label: c.name, stage: 'at initialization', flow: o.before },
              { label: c.name, stage: 'trained', flow: o.after },
            ];
      });
      files.push(
        await plotGradientFlow(flows, join(outDir, `flow-T${steps}`), {
          title: `How ‖dL/dh_t‖ flows back from step ${steps} (first-symbol task, T = ${steps})`,
        }),
      );
    }
    if (states.length > 0) {
      const label = test.y.dataSync().at(0) ?? 0;
      files.push(
        await plotStepStates(
          { layers: states, dispose: () => undefined },
          join(outDir, `states-T${steps}`),
          {
            title: `h_t after training, test sequence 0 (class ${label}, T = ${steps})`,
          },
        ),
      );
      tf.dispose(states.flatMap((s) => (s.c === undefined ? [s.h] : [s.h, s.c])));
    }
    tf.dispose([test.x, test.y, probe.x, probe.y]);
  }

  printAccuracyTable(models, outcomes, epochs);
  printRatioTable(models, outcomes);
  files.push(await explode(epochs, seed, outDir));

  console.log(`\nPictures in ${outDir}:`);
  for (const f of files) console.log(`  ${f.png}`);
  console.log(`\nDone in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
}

function printAccuracyTable(
  models: readonly Contender[],
  outcomes: ReadonlyMap<string, Outcome>,
  epochs: number,
): void {
  console.log(
    `\nTest accuracy after ${epochs} epoch${epochs === 1 ? '' : 's'} (chance ${percent(1 / CLASSES)}):`,
  );
  console.log(`  ${'model'.padEnd(26)}${STEPS.map((t) => `T=${t}`.padStart(8)).join('')}`);
  for (const c of models) {
    const cells = STEPS.map((t) => percent(outcomes.get(`${c.name}@${t}`)?.accuracy ?? Number.NaN));
    console.log(`  ${c.name.padEnd(26)}${cells.map((s) => s.padStart(8)).join('')}`);
  }
}

function printRatioTable(
  models: readonly Contender[],
  outcomes: ReadonlyMap<string, Outcome>,
): void {
  console.log(`\n‖dL/dh_1‖ / ‖dL/dh_T‖ (1: the first step gets as much gradient as the last):`);
  const columns = PICTURED_STEPS.flatMap((t) => [`T=${t} init`, `T=${t} trained`]);
  console.log(`  ${'model'.padEnd(26)}${columns.map((s) => s.padStart(16)).join('')}`);
  // An LSTM's memory is its cell state: a second row with ‖dL/dc_1‖ / ‖dL/dc_T‖.
  const rows = models.flatMap((c) =>
    c.kind === 'lstm'
      ? [
          { c, cell: false },
          { c, cell: true },
        ]
      : [{ c, cell: false }],
  );
  for (const { c, cell } of rows) {
    const cells = PICTURED_STEPS.flatMap((t) => {
      const o = outcomes.get(`${c.name}@${t}`);
      return o === undefined
        ? ['?', '?']
        : [sci(flowRatio(o.before, cell)), sci(flowRatio(o.after, cell))];
    });
    const name = cell ? `  (cell state: dL/dc_t)` : c.name;
    console.log(`  ${name.padEnd(26)}${cells.map((s) => s.padStart(16)).join('')}`);
  }
}

/**
 * A relu SimpleRNN whose recurrent matrix is orthogonal times EXPLODE_GAIN, on T = 30, trained
 * without and with clipnorm from the same weights; returns its picture.
 */
async function explode(epochs: number, seed: number, outDir: string): Promise<ChartFiles> {
  const steps = 30;
  const units = unitsForBudget('simple_rnn', FEATURES, CLASSES, BUDGET);
  console.log(
    `\nExploding gradients: SimpleRNN(${units}, relu), recurrent matrix orthogonal times ${EXPLODE_GAIN}, T = ${steps}, Adam(${LEARNING_RATE}):`,
  );
  const probe = firstSymbolTask({ samples: FLOW_SAMPLES, steps, seed: dataSeed(seed, steps, 998) });
  const test = firstSymbolTask({ samples: TEST_SAMPLES, steps, seed: dataSeed(seed, steps, 999) });
  const flows: LabelledFlow[] = [];
  const losses: { label: string; loss: number[] }[] = [];
  for (const clipnorm of [undefined, 1]) {
    const seeds = new Seeds(seed);
    const model = new Sequential([
      new SimpleRNN({
        units,
        activation: 'relu',
        inputShape: [steps, FEATURES],
        kernelInitializer: seeds.glorotUniform(),
        recurrentInitializer: orthogonalInitializer({ gain: EXPLODE_GAIN, seed: seeds.seed() }),
      }),
      new Dense({
        units: CLASSES,
        activation: 'softmax',
        kernelInitializer: seeds.glorotUniform(),
      }),
    ]);
    model.compile({
      optimizer: {
        name: 'adam',
        learningRate: LEARNING_RATE,
        ...(clipnorm === undefined ? {} : { clipnorm }),
      },
      loss: 'sparse_categorical_crossentropy',
      metrics: ['accuracy'],
    });
    const label = clipnorm === undefined ? 'relu' : `relu + clipnorm ${clipnorm}`;
    const before = await gradientFlow(model, probe.x, probe.y);
    if (clipnorm === undefined) flows.push({ label, stage: 'at initialization', flow: before });
    const loss = await trainOnFreshData(model, steps, epochs, seed);
    const after = await gradientFlow(model, probe.x, probe.y);
    const accuracy = await testAccuracy(model, test);
    flows.push({ label, stage: 'trained', flow: after });
    losses.push({ label, loss });
    const shown = [0, 1, Math.floor(loss.length / 2), loss.length - 1].filter(
      (e, i, all) => all.indexOf(e) === i && e < loss.length,
    );
    console.log(
      `  ${label.padEnd(20)} ‖dL/dh_1‖/‖dL/dh_T‖ ${sci(flowRatio(before))} -> ${sci(flowRatio(after))}; loss ${shown.map((e) => `epoch ${e + 1} ${(loss[e] ?? Number.NaN).toPrecision(3)}`).join(', ')}; test accuracy ${percent(accuracy)}`,
    );
    model.dispose();
  }
  tf.dispose([probe.x, probe.y, test.x, test.y]);
  return plotGradientFlow(flows, join(outDir, 'explode'), {
    title: `Exploding gradients: relu SimpleRNN(${units}), recurrent matrix orthogonal × ${EXPLODE_GAIN}, T = ${steps}; both start from the same weights`,
    losses,
  });
}

runExample(main);
