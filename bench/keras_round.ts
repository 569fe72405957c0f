/**
 * One timed round of Python Keras in the worker, as both benches run it (bench/run.ts and the
 * grid): wait until the machine is idle, train, wait again, predict; and the rates they report.
 */
import type { QuietResult } from './quiet';
import type { Round } from './report';
import type { KerasWorker } from './workers';

/** Samples per second; NaN for no time. */
export const rate = (samples: number, seconds: number): number =>
  seconds > 0 ? samples / seconds : NaN;

export const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** What a Keras round needs: the worker, the model's key and sizes, and the idle wait. */
export interface KerasRoundArgs {
  keras: KerasWorker;
  key: string;
  samples: number;
  epochs: number;
  timeoutMs: number;
  untilIdle: () => Promise<QuietResult>;
}

/** `epochs` timed epochs of the model `key` and one timed predict, each after the idle wait. */
export async function kerasRound(args: KerasRoundArgs): Promise<Round> {
  const { keras, key, samples, epochs, timeoutMs, untilIdle } = args;
  const beforeTrain = await untilIdle();
  const train = await keras.train(key, epochs, timeoutMs);
  const beforePredict = await untilIdle();
  const predict = await keras.predict(key, timeoutMs);
  return {
    idleWaits: [beforeTrain, beforePredict],
    trainSamplesPerSecond: rate(samples * train.epoch_seconds.length, sum(train.epoch_seconds)),
    predictSamplesPerSecond: rate(samples, predict.seconds),
    fitSeconds: train.seconds,
    epochSeconds: train.epoch_seconds,
    tensorsAfterEpoch: [],
    loss: train.loss,
  };
}
