/**
 * Keras's `ModelCheckpoint`: saves the model (`.keras`) or its weights (`.weights.h5`) after
 * every epoch or every `saveFreq` batches, or only when the monitored quantity improves, to a
 * path filled from the epoch and the logs (`'ckpt/{epoch:02d}-{val_loss:.2f}.keras'`), with
 * Keras's rules and log lines (keras/src/callbacks/model_checkpoint.py, 3.15). Each save is
 * atomic (written beside the target, then renamed); missing folders are created, as Keras does.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ValueError } from '../errors';
import type { Callback, CallbackModel, Logs } from '../models/training';
import { checkNonNegativeInteger } from '../models/data';
import { optionKeys } from '../option_keys';
import { checkFlag, checkNumber, logValue, requireModel } from './callback_args';
import { Monitor, type MonitorMode, checkMode } from './monitor';
import { pythonFormat } from './python_format';

/** Options of ModelCheckpoint (Keras's arguments after `filepath`, camelCase). */
export interface ModelCheckpointArgs {
  /** The log watched by `saveBestOnly`. Default: 'val_loss'. */
  monitor?: string;
  /** 0: quiet; 1: Keras's line at each save. Default: 0. */
  verbose?: number;
  /** Save only when the monitored value improves on the best so far. Default: false. */
  saveBestOnly?: boolean;
  /** Save the weights (`saveWeights`, a `.weights.h5` path) instead of the model. Default: false. */
  saveWeightsOnly?: boolean;
  /** 'min', 'max', or 'auto' (from the monitor's name). Default: 'auto'. */
  mode?: MonitorMode;
  /** 'epoch', or a number of batches between saves. Default: 'epoch'. */
  saveFreq?: 'epoch' | number;
  /** The best value to beat before the first save with `saveBestOnly`. Default: none. */
  initialValueThreshold?: number | null;
}

/** The keys of ModelCheckpointArgs. */
export const MODEL_CHECKPOINT_OPTIONS = optionKeys<ModelCheckpointArgs>({
  monitor: true,
  verbose: true,
  saveBestOnly: true,
  saveWeightsOnly: true,
  mode: true,
  saveFreq: true,
  initialValueThreshold: true,
});

/** Keras's `keras.callbacks.ModelCheckpoint`. */
export class ModelCheckpoint implements Callback {
  private readonly watch: Monitor;
  private readonly verbose: number;
  private readonly saveBestOnly: boolean;
  private readonly saveWeightsOnly: boolean;
  private readonly saveFreq: 'epoch' | number;
  private model: CallbackModel | null = null;
  private best: number | null;
  private epoch = 0;
  private batchesSinceSave = 0;

  /** @param filepath where to save: `.keras` (or `.weights.h5` with `saveWeightsOnly`), `{...}` filled. */
  constructor(
    readonly filepath: string,
    args: ModelCheckpointArgs = {},
  ) {
    const subject = 'ModelCheckpoint';
    MODEL_CHECKPOINT_OPTIONS.check(subject, args);
    this.saveWeightsOnly = checkFlag(subject, 'saveWeightsOnly', args.saveWeightsOnly ?? false);
    this.saveBestOnly = checkFlag(subject, 'saveBestOnly', args.saveBestOnly ?? false);
    const suffix = this.saveWeightsOnly ? '.weights.h5' : '.keras';
    if (typeof filepath !== 'string' || !filepath.endsWith(suffix)) {
      throw new ValueError(
        `${subject}: the filepath must end in ${suffix}${this.saveWeightsOnly ? ' with saveWeightsOnly: true' : ' (the Keras model format; .weights.h5 with saveWeightsOnly: true)'}, received ${JSON.stringify(filepath)}.`,
      );
    }
    this.watch = new Monitor(
      subject,
      args.monitor ?? 'val_loss',
      checkMode(subject, args.mode ?? 'auto'),
      0,
    );
    this.verbose = checkNonNegativeInteger(subject, 'verbose', args.verbose ?? 0);
    const freq = args.saveFreq ?? 'epoch';
    if (freq !== 'epoch' && !(Number.isInteger(freq) && freq > 0)) {
      throw new ValueError(
        `${subject}: expected \`saveFreq\` to be 'epoch' or a number of batches >= 1, received ${JSON.stringify(freq)}.`,
      );
    }
    this.saveFreq = freq;
    const threshold = args.initialValueThreshold ?? null;
    this.best =
      threshold === null ? null : checkNumber(subject, 'initialValueThreshold', threshold);
  }

  /** Keras's `set_model`: fit calls it with the model it trains. */
  setModel(model: CallbackModel): void {
    this.model = model;
  }

  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
  }

  async onBatchEnd(batch: number, logs: Logs): Promise<void> {
    if (this.saveFreq === 'epoch') return;
    this.batchesSinceSave += 1;
    if (this.batchesSinceSave < this.saveFreq) return;
    this.batchesSinceSave = 0;
    await this.save(this.epoch, logs, batch);
  }

  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    if (this.saveFreq === 'epoch') await this.save(epoch, logs);
  }

  private shouldSave(epoch: number, logs: Logs, file: string): boolean {
    const say = (line: string): void => {
      if (this.verbose > 0) process.stdout.write(`\nEpoch ${epoch + 1}: ${line}\n`);
    };
    if (!this.saveBestOnly) {
      say(`saving model to ${file}`);
      return true;
    }
    const current = logValue(logs, this.watch.monitor);
    if (current === undefined) {
      process.emitWarning(`Can save best model only with ${this.watch.monitor} available.`);
      return true;
    }
    const bestText = this.best === null ? 'None' : this.best.toFixed(5);
    if (this.watch.isImprovement(current, this.best)) {
      say(
        `${this.watch.monitor} improved from ${bestText} to ${current.toFixed(5)}, saving model to ${file}`,
      );
      this.best = current;
      return true;
    }
    say(`${this.watch.monitor} did not improve from ${bestText}`);
    return false;
  }

  private async save(epoch: number, logs: Logs, batch?: number): Promise<void> {
    const subject = 'ModelCheckpoint';
    const values: Record<string, number> = { ...logs, epoch: epoch + 1 };
    if (batch !== undefined && !('batch' in logs)) values.batch = batch + 1;
    const file = pythonFormat(subject, this.filepath, values);
    if (!this.shouldSave(epoch, logs, file)) return;
    const model = requireModel(subject, this.model);
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    if (this.saveWeightsOnly) await model.saveWeights(file);
    else await model.save(file);
    if (this.verbose > 0) {
      process.stdout.write(`\nEpoch ${epoch + 1}: finished saving model to ${file}\n`);
    }
  }
}
