/**
 * What Keras's `MonitorCallback` shares with its subclasses (EarlyStopping, ModelCheckpoint,
 * ReduceLROnPlateau): the quantity watched in the epoch's logs, whether lower or higher is
 * better (`mode`, `'auto'` inferring it from the name), and Keras's test of an improvement:
 * `current - minDelta < best` when lower is better, `current + minDelta > best` when higher is
 * (minDelta taken as its absolute value).
 */
import { ValueError } from '../errors';
import type { Logs } from '../models/training';
import { logValue } from './callback_args';

/** How a monitored quantity improves. */
export type MonitorMode = 'auto' | 'min' | 'max';

const MODES: readonly MonitorMode[] = ['auto', 'min', 'max'];

/** Metric names whose value improves upward (Keras's metrics with `_direction = "up"`). */
const UP = /^(acc|accuracy|binary_accuracy|categorical_accuracy|sparse_categorical_accuracy)$/;
/** Metric names whose value improves downward: the loss and the error metrics. */
const DOWN =
  /^(loss|mae|mse|mape|msle|rmse|mean_absolute_error|mean_squared_error|mean_absolute_percentage_error|mean_squared_logarithmic_error|root_mean_squared_error|.*crossentropy|.*hinge|huber|log_cosh|kl_divergence|poisson)$/;

/** Checks `mode` (refused by name, where Keras falls back to 'auto' with a warning). */
export function checkMode(subject: string, mode: unknown): MonitorMode {
  if (typeof mode === 'string' && (MODES as readonly string[]).includes(mode)) {
    return mode as MonitorMode;
  }
  throw new ValueError(
    `${subject}: expected \`mode\` to be 'auto', 'min' or 'max', received ${JSON.stringify(mode)}.`,
  );
}

/** A watched quantity and the rule for its improvement. */
export class Monitor {
  private lowerIsBetter: boolean | null;

  constructor(
    private readonly subject: string,
    /** The log name watched: `'val_loss'`, `'accuracy'`, ... */
    readonly monitor: string,
    mode: MonitorMode,
    /** The smallest change that counts as an improvement (its absolute value). */
    readonly minDelta: number,
  ) {
    if (typeof monitor !== 'string' || monitor === '') {
      throw new ValueError(
        `${subject}: expected \`monitor\` to be a log name such as 'val_loss', received ${JSON.stringify(monitor)}.`,
      );
    }
    if (!Number.isFinite(minDelta)) {
      throw new ValueError(
        `${subject}: expected \`minDelta\` to be a finite number, received ${String(minDelta)}.`,
      );
    }
    this.lowerIsBetter = mode === 'min' ? true : mode === 'max' ? false : null;
    if (this.lowerIsBetter === null) this.lowerIsBetter = this.inferred();
  }

  /** Keras's 'auto': the loss and error metrics go down, the accuracies up. */
  private inferred(): boolean {
    const name = this.monitor.replace(/^val_/, '');
    if (DOWN.test(name)) return true;
    if (UP.test(name)) return false;
    throw new ValueError(
      `${this.subject}: cannot tell whether \`monitor\` '${this.monitor}' should be minimized or maximized; pass mode: 'min' (lowest is best) or mode: 'max' (highest is best), as Keras asks.`,
    );
  }

  /** Whether `current` improves on `reference` (any value improves on none). */
  isImprovement(current: number, reference: number | null): boolean {
    if (reference === null) return true;
    const delta = Math.abs(this.minDelta);
    return this.lowerIsBetter === true ? current + delta < reference : current - delta > reference;
  }

  /** The watched value in `logs`, or null with Keras's warning when the logs lack it. */
  value(logs: Logs, what: string): number | null {
    const value = logValue(logs, this.monitor);
    if (value === undefined) {
      process.emitWarning(
        `${what} conditioned on metric \`${this.monitor}\` which is not available. Available metrics are: ${Object.keys(logs).join(',')}`,
      );
      return null;
    }
    return value;
  }
}
