/**
 * Keras's `ReduceLROnPlateau`: multiplies the optimizer's learning rate by `factor` (down to
 * `minLr`) when the monitored quantity has not improved for `patience` epochs, then waits
 * `cooldown` epochs, with Keras's rules and line (keras/src/callbacks/reduce_lr_on_plateau.py,
 * 3.15). It adds `learning_rate` to each epoch's logs, so the history and the progress bar show
 * it, as in Keras.
 */
import { ValueError } from '../errors';
import type { Callback, CallbackModel, Logs } from '../models/training';
import { isKerasOptimizer } from '../optimizers/optimizer';
import { checkNonNegativeInteger } from '../models/data';
import { optionKeys } from '../option_keys';
import { checkNumber, logValue, requireModel } from './callback_args';
import { Monitor, type MonitorMode, checkMode } from './monitor';
import { pythonFloat } from './python_format';

/** Options of ReduceLROnPlateau (Keras's arguments, camelCase). */
export interface ReduceLROnPlateauArgs {
  /** The log watched. Default: 'val_loss'. */
  monitor?: string;
  /** The learning rate's multiplier, in (0, 1). Default: 0.1. */
  factor?: number;
  /** Epochs without improvement before a reduction. Default: 10. */
  patience?: number;
  /** 0: quiet; 1: Keras's line at each reduction. Default: 0. */
  verbose?: number;
  /** 'min', 'max', or 'auto' (from the monitor's name). Default: 'auto'. */
  mode?: MonitorMode;
  /** The smallest change that counts as an improvement. Default: 1e-4. */
  minDelta?: number;
  /** Epochs after a reduction before watching again. Default: 0. */
  cooldown?: number;
  /** The learning rate's floor. Default: 0. */
  minLr?: number;
}

/** The keys of ReduceLROnPlateauArgs. */
export const REDUCE_LR_ON_PLATEAU_OPTIONS = optionKeys<ReduceLROnPlateauArgs>({
  monitor: true,
  factor: true,
  patience: true,
  verbose: true,
  mode: true,
  minDelta: true,
  cooldown: true,
  minLr: true,
});

/** Keras's `keras.callbacks.ReduceLROnPlateau`. */
export class ReduceLROnPlateau implements Callback {
  private readonly watch: Monitor;
  private readonly factor: number;
  private readonly patience: number;
  private readonly verbose: number;
  private readonly cooldown: number;
  private readonly minLr: number;
  private model: CallbackModel | null = null;
  private best: number | null = null;
  private wait = 0;
  private cooldownCounter = 0;

  constructor(args: ReduceLROnPlateauArgs = {}) {
    const subject = 'ReduceLROnPlateau';
    REDUCE_LR_ON_PLATEAU_OPTIONS.check(subject, args);
    this.factor = checkNumber(subject, 'factor', args.factor ?? 0.1);
    if (this.factor >= 1) {
      throw new ValueError(
        `${subject}: \`factor\` must be below 1 (Keras does not support a factor >= 1.0), received ${this.factor}.`,
      );
    }
    this.watch = new Monitor(
      subject,
      args.monitor ?? 'val_loss',
      checkMode(subject, args.mode ?? 'auto'),
      checkNumber(subject, 'minDelta', args.minDelta ?? 1e-4),
    );
    this.patience = checkNonNegativeInteger(subject, 'patience', args.patience ?? 10);
    this.verbose = checkNonNegativeInteger(subject, 'verbose', args.verbose ?? 0);
    this.cooldown = checkNonNegativeInteger(subject, 'cooldown', args.cooldown ?? 0);
    this.minLr = checkNumber(subject, 'minLr', args.minLr ?? 0);
  }

  /** Keras's `set_model`: fit calls it with the model it trains. */
  setModel(model: CallbackModel): void {
    const optimizer = model.optimizer;
    if (!isKerasOptimizer(optimizer)) {
      throw new ValueError(
        `ReduceLROnPlateau: the model's optimizer (${optimizer?.getClassName() ?? 'none'}) has no learning rate it can change; compile with one of this package's optimizers ('adam', { name: 'sgd', learningRate }, ...).`,
      );
    }
    this.model = model;
  }

  onTrainBegin(): void {
    this.best = null;
    this.cooldownCounter = 0;
    this.wait = 0;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const optimizer = requireModel('ReduceLROnPlateau', this.model).optimizer;
    if (!isKerasOptimizer(optimizer)) return;
    logs.learning_rate = optimizer.learningRate;
    const current = logValue(logs, this.watch.monitor);
    if (current === undefined) {
      process.emitWarning(
        `Learning rate reduction is conditioned on metric \`${this.watch.monitor}\` which is not available. Available metrics are: ${Object.keys(logs).join(',')}.`,
      );
      return;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.wait = 0;
    }
    if (this.watch.isImprovement(current, this.best)) {
      this.best = current;
      this.wait = 0;
      return;
    }
    if (this.cooldownCounter > 0) return;
    this.wait += 1;
    if (this.wait < this.patience) return;
    const old = optimizer.learningRate;
    if (old > Math.fround(this.minLr)) {
      const next = Math.max(old * this.factor, this.minLr);
      optimizer.learningRate = next;
      if (this.verbose > 0) {
        process.stdout.write(
          `\nEpoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${pythonFloat(next)}.\n`,
        );
      }
      this.cooldownCounter = this.cooldown;
      this.wait = 0;
    }
  }
}
