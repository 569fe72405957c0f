/**
 * Keras's `EarlyStopping`: stops `fit` when the monitored quantity has not improved for
 * `patience` epochs, optionally restoring the weights of the best epoch, with Keras's rules
 * (keras/src/callbacks/early_stopping.py, 3.15) and its log lines when `verbose`.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Callback, CallbackModel, Logs } from '../models/training';
import { checkNonNegativeInteger } from '../models/data';
import { optionKeys } from '../option_keys';
import { Monitor, type MonitorMode, checkMode } from './monitor';
import { checkFlag, checkNumber, requireModel } from './callback_args';

/** Options of EarlyStopping (Keras's arguments, camelCase). */
export interface EarlyStoppingArgs {
  /** The log watched. Default: 'val_loss'. */
  monitor?: string;
  /** The smallest change that counts as an improvement (absolute value). Default: 0. */
  minDelta?: number;
  /** Epochs without improvement after which training stops. Default: 0. */
  patience?: number;
  /** 0: quiet; 1: Keras's lines on stopping and restoring. Default: 0. */
  verbose?: number;
  /** 'min', 'max', or 'auto' (from the monitor's name). Default: 'auto'. */
  mode?: MonitorMode;
  /** Training stops unless the monitored value improves on this. Default: none. */
  baseline?: number | null;
  /** At the end, put back the weights of the best epoch seen. Default: false. */
  restoreBestWeights?: boolean;
  /** Epochs to wait before watching at all. Default: 0. */
  startFromEpoch?: number;
}

/** The keys of EarlyStoppingArgs. */
export const EARLY_STOPPING_OPTIONS = optionKeys<EarlyStoppingArgs>({
  monitor: true,
  minDelta: true,
  patience: true,
  verbose: true,
  mode: true,
  baseline: true,
  restoreBestWeights: true,
  startFromEpoch: true,
});

/** Keras's `keras.callbacks.EarlyStopping`. */
export class EarlyStopping implements Callback {
  private readonly watch: Monitor;
  private readonly patience: number;
  private readonly verbose: number;
  private readonly baseline: number | null;
  private readonly restoreBestWeights: boolean;
  private readonly startFromEpoch: number;
  private model: CallbackModel | null = null;
  private wait = 0;
  private best: number | null = null;
  private bestWeights: tf.Tensor[] | null = null;
  private bestEpoch = 0;
  /** The epoch (0-based) at which training was stopped; 0 when it was not. */
  stoppedEpoch = 0;

  constructor(args: EarlyStoppingArgs = {}) {
    const subject = 'EarlyStopping';
    EARLY_STOPPING_OPTIONS.check(subject, args);
    this.watch = new Monitor(
      subject,
      args.monitor ?? 'val_loss',
      checkMode(subject, args.mode ?? 'auto'),
      checkNumber(subject, 'minDelta', args.minDelta ?? 0),
    );
    this.patience = checkNonNegativeInteger(subject, 'patience', args.patience ?? 0);
    this.verbose = checkNonNegativeInteger(subject, 'verbose', args.verbose ?? 0);
    this.baseline = args.baseline ?? null;
    if (this.baseline !== null) checkNumber(subject, 'baseline', this.baseline);
    this.restoreBestWeights = checkFlag(
      subject,
      'restoreBestWeights',
      args.restoreBestWeights ?? false,
    );
    this.startFromEpoch = checkNonNegativeInteger(
      subject,
      'startFromEpoch',
      args.startFromEpoch ?? 0,
    );
  }

  /** Keras's `set_model`: fit calls it with the model it trains. */
  setModel(model: CallbackModel): void {
    this.model = model;
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = null;
    this.keepBest(null);
    this.bestEpoch = 0;
  }

  private keepBest(weights: tf.Tensor[] | null): void {
    if (this.bestWeights !== null) for (const w of this.bestWeights) w.dispose();
    this.bestWeights = weights;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const model = requireModel('EarlyStopping', this.model);
    const current = this.watch.value(logs, 'Early stopping');
    if (current === null || epoch < this.startFromEpoch) return;
    if (this.restoreBestWeights && this.bestWeights === null) {
      this.keepBest(model.getWeights());
      this.bestEpoch = epoch;
    }
    this.wait += 1;
    if (this.watch.isImprovement(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.keepBest(model.getWeights());
      if (this.baseline === null || this.watch.isImprovement(current, this.baseline)) {
        this.wait = 0;
      }
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      model.stopTraining = true;
    }
  }

  onTrainEnd(): void {
    if (this.stoppedEpoch > 0 && this.verbose > 0) {
      process.stdout.write(`Epoch ${this.stoppedEpoch + 1}: early stopping\n`);
    }
    if (this.restoreBestWeights && this.bestWeights !== null) {
      if (this.verbose > 0) {
        process.stdout.write(
          `Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.\n`,
        );
      }
      requireModel('EarlyStopping', this.model).setWeights(this.bestWeights);
    }
    this.keepBest(null);
  }
}
