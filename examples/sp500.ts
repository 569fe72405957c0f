/**
 * Predict the S&P 500's opening price from the 60 days before it (the course's stock example).
 *
 * 1. Read the daily open from `sp500-2000.csv` (vega-datasets: 2000-01-03 to 2020-04-17).
 * 2. Hold out the last 300 days as the test set; scale prices to [0, 1] with a MinMaxScaler
 *    fitted on the training days only.
 * 3. Cut 60-day windows: x = the 60 scaled opens before day t, y = the open of day t.
 * 4. Train SimpleRNN(80, returnSequences) -> Dropout(0.2) -> SimpleRNN(100) -> Dropout(0.2)
 *    -> Dense(1) with Adam and MSE, validating on the test windows.
 * 5. Report test RMSE and MAE in dollars next to the naive "tomorrow = today" forecast on the
 *    same days, and write the figures (SVG and PNG) into the output folder.
 *
 *   npm run example:sp500                          50 epochs, figures in out/sp500/
 *   npm run example:sp500 -- --out /tmp/sp500      another folder (or EXAMPLE_OUT_DIR)
 *   npm run example:sp500 -- --cell lstm           LSTM (or gru) layers instead of SimpleRNN
 *                                                  (or EXAMPLE_CELL)
 *   EXAMPLE_EPOCHS=1 EXAMPLE_MAX_WINDOWS=300 ...   a quick run on the last 300 training windows
 */
import { dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  Dense,
  Dropout,
  GRU,
  LSTM,
  MinMaxScaler,
  Sequential,
  SimpleRNN,
  backendName,
  readCsv,
  slidingWindows,
  useBackend,
} from 'tfjs-keras-rnn';
import { lossChart, pricesChart, renderChart } from './lib/charts';
import { ensureDir, writeFileAtomic } from './lib/files';
import { historyValues } from './lib/history';
import { forecastErrors } from './lib/metrics';
import {
  envOptionalPositiveInt,
  envPositiveInt,
  envVerbose,
  optionChoice,
  optionValue,
} from './lib/options';
import { runExample } from './lib/run';

const CSV_PATH = join(dirname(require.resolve('vega-datasets')), '../data/sp500-2000.csv');
const WINDOW = 60; // days of history per prediction
const TEST_DAYS = 300; // the last 300 days are the test set
const BATCH_SIZE = 64;

const money = (v: number): string => v.toFixed(2).padStart(8);

/** The recurrent layer of each `--cell` choice. */
const CELLS = { simple_rnn: SimpleRNN, lstm: LSTM, gru: GRU } as const;
type CellName = keyof typeof CELLS;

async function main(): Promise<void> {
  // Settings, checked before any work: EXAMPLE_EPOCHS, EXAMPLE_MAX_WINDOWS (train on the most
  // recent windows only), EXAMPLE_VERBOSE, and the output folder (--out or EXAMPLE_OUT_DIR).
  const epochs = envPositiveInt('EXAMPLE_EPOCHS', 50);
  const maxWindows = envOptionalPositiveInt('EXAMPLE_MAX_WINDOWS');
  const verbose = envVerbose('EXAMPLE_VERBOSE', 1); // Keras's progress bar
  const outDir = resolve(optionValue('out', 'EXAMPLE_OUT_DIR', 'out/sp500'));
  const cell = optionChoice<CellName>(
    'cell',
    'EXAMPLE_CELL',
    Object.keys(CELLS) as CellName[],
    'simple_rnn',
  );
  await useBackend('auto');
  console.log(`Backend: ${backendName()}`);

  // 1. The data: one opening price per trading day.
  const { date, open } = readCsv(CSV_PATH, { date: 'string', open: 'number' });
  console.log(`Read ${open.length} days from ${date.at(0) ?? '?'} to ${date.at(-1) ?? '?'}`);

  // 2. Train / test split, and scaling fitted on the training days only.
  const trainOpen = open.slice(0, -TEST_DAYS);
  const testOpen = open.slice(-TEST_DAYS);
  const testDates = date.slice(-TEST_DAYS);
  const scaler = new MinMaxScaler();
  const trainScaled = scaler.fitTransform(trainOpen);
  const testScaled = scaler.transform(testOpen);
  const { dataMin, dataMax } = scaler.params;
  console.log(
    `Training days: ${trainOpen.length}, test days: ${testOpen.length}; scaler fitted on the training days: ${dataMin.toFixed(2)} -> 0, ${dataMax.toFixed(2)} -> 1`,
  );

  // 3. 60-day windows. The test windows lie inside the test days, as in the course, so the
  //    first 60 test days are history only and the last 240 are predicted.
  const train = slidingWindows(trainScaled, WINDOW);
  const test = slidingWindows(testScaled, WINDOW);
  let { x: xTrain, y: yTrain } = train;
  const trainWindows = xTrain.shape[0];
  if (maxWindows !== undefined && maxWindows < trainWindows) {
    // A short run: keep the most recent windows only.
    xTrain = tf.slice(train.x, [trainWindows - maxWindows, 0, 0]);
    yTrain = tf.slice(train.y, [trainWindows - maxWindows, 0]);
    tf.dispose([train.x, train.y]);
  }
  console.log(
    `x_train ${JSON.stringify(xTrain.shape)}, y_train ${JSON.stringify(yTrain.shape)}, x_test ${JSON.stringify(test.x.shape)}, y_test ${JSON.stringify(test.y.shape)}`,
  );

  // 4. The model, as in the course (Keras's default initializers; dropout and the per-epoch
  //    shuffle are random, so two runs differ a little), with the layers of `--cell`.
  const Recurrent = CELLS[cell];
  const model = new Sequential([
    new Recurrent({ units: 80, returnSequences: true, inputShape: [WINDOW, 1] }),
    new Dropout({ rate: 0.2 }),
    new Recurrent({ units: 100 }),
    new Dropout({ rate: 0.2 }),
    new Dense({ units: 1 }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'mean_squared_error' });
  model.summary();

  const started = Date.now();
  const history = await model.fit(xTrain, yTrain, {
    epochs,
    batchSize: BATCH_SIZE,
    validationData: [test.x, test.y],
    verbose,
  });
  console.log(
    `Trained ${epochs} epoch${epochs === 1 ? '' : 's'} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );

  // 5. Predictions back in dollars, against the actual opens and the naive forecast.
  const scaledPrediction = model.predict(test.x, { verbose: 0 });
  const predictedTensor = scaler.inverseTransform(scaledPrediction);
  const predicted = Array.from(await predictedTensor.data());
  const actual = testOpen.slice(WINDOW);
  const naive = testOpen.slice(WINDOW - 1, -1); // tomorrow's open = today's open
  const days = testDates.slice(WINDOW);
  const model_ = forecastErrors(actual, predicted);
  const baseline = forecastErrors(actual, naive);
  tf.dispose([xTrain, yTrain, test.x, test.y, scaledPrediction, predictedTensor]);
  model.dispose();

  console.log(`\nLast test days:     actual  predicted      naive`);
  for (let i = Math.max(0, days.length - 5); i < days.length; i++) {
    console.log(
      `  ${days[i] ?? '?'}  ${money(actual[i] ?? Number.NaN)}   ${money(predicted[i] ?? Number.NaN)}   ${money(naive[i] ?? Number.NaN)}`,
    );
  }
  console.log(`\nTest set: ${actual.length} days, ${days.at(0) ?? '?'} to ${days.at(-1) ?? '?'}`);
  console.log(`Model RMSE: ${model_.rmse.toFixed(2)}  MAE: ${model_.mae.toFixed(2)} (USD)`);
  console.log(
    `Naive "tomorrow = today" RMSE: ${baseline.rmse.toFixed(2)}  MAE: ${baseline.mae.toFixed(2)} (USD)`,
  );

  // The figures: rendered in memory first, then written whole.
  const charts = {
    'sp500-prediction': await renderChart(
      pricesChart(days, actual, predicted, 'S&P 500 daily open: predicted vs actual (test days)'),
    ),
    'sp500-loss': await renderChart(
      lossChart(
        historyValues(history, 'loss'),
        historyValues(history, 'val_loss'),
        'Training and validation loss',
      ),
    ),
  };
  ensureDir(outDir);
  console.log(`\nFigures in ${outDir}:`);
  for (const [name, chart] of Object.entries(charts)) {
    console.log(`  ${writeFileAtomic(join(outDir, `${name}.svg`), chart.svg)}`);
    console.log(`  ${writeFileAtomic(join(outDir, `${name}.png`), chart.png)}`);
  }
}

runExample(main);
