/**
 * This package's side of a grid point, run in the grid's own process: one model at a time, as a
 * user's script trains it. (bench/run.ts gives each tfjs contender a child process so that none
 * pays for another's garbage; the grid has one tfjs contender, so its process is that one's.)
 * The point's tensors and model are disposed before the next point is built.
 */
import * as tf from '@tensorflow/tfjs';
import type { Sequential } from '../../src/index';
import type { BenchArray, BenchArrays } from '../data';
import { buildGridModel } from './models';
import type { GridPoint } from './points';

/** One timed training call: its wall time, each epoch's, and the loss and tensors after each. */
export interface OursTrain {
  seconds: number;
  epochSeconds: number[];
  tensorsAfterEpoch: number[];
  loss: number[];
}

function tensorOf(a: BenchArray): tf.Tensor {
  // Word ids and classes stay float32: this package's Embedding and losses take them so.
  return tf.tensor(a.values, a.shape);
}

/** The point's model and data as tensors, ready to train and predict. */
export class OursPoint {
  private constructor(
    private readonly model: Sequential,
    private readonly x: tf.Tensor,
    private readonly y: tf.Tensor,
    private readonly batchSize: number,
  ) {}

  /** Builds the point's model and puts `data` in tensors. */
  static build(point: GridPoint, data: BenchArrays): OursPoint {
    return new OursPoint(buildGridModel(point), tensorOf(data.x), tensorOf(data.y), point.batch);
  }

  /** Weights of the model. */
  get params(): number {
    return this.model.countParams();
  }

  /** `fit` for `epochs` epochs, timing each between its begin and end callbacks. */
  async train(epochs: number): Promise<OursTrain> {
    const result: OursTrain = { seconds: 0, epochSeconds: [], tensorsAfterEpoch: [], loss: [] };
    let epochStart = 0;
    const start = performance.now();
    await this.model.fit(this.x, this.y, {
      epochs,
      batchSize: this.batchSize,
      shuffle: false,
      verbose: 0,
      callbacks: {
        onEpochBegin: () => {
          epochStart = performance.now();
        },
        onEpochEnd: (_epoch, logs) => {
          result.epochSeconds.push((performance.now() - epochStart) / 1000);
          result.tensorsAfterEpoch.push(tf.memory().numTensors);
          result.loss.push(logs.loss);
        },
      },
    });
    result.seconds = (performance.now() - start) / 1000;
    return result;
  }

  /** Seconds of one `predict` over the training inputs, the predictions downloaded. */
  async predict(): Promise<number> {
    const start = performance.now();
    const out = this.model.predict(this.x, { batchSize: this.batchSize, verbose: 0 });
    await out.data();
    const seconds = (performance.now() - start) / 1000;
    out.dispose();
    return seconds;
  }

  dispose(): void {
    this.model.dispose();
    tf.dispose([this.x, this.y]);
  }
}
