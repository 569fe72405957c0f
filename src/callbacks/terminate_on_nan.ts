/**
 * Keras's `TerminateOnNaN`: stops `fit` after a batch whose loss is NaN or infinite, with
 * Keras's line (`Batch 3: Invalid loss, terminating training`), or throws with `raiseError`.
 */
import { ValueError } from '../errors';
import type { Callback, CallbackModel, Logs } from '../models/training';
import { optionKeys } from '../option_keys';
import { checkFlag, logValue, requireModel } from './callback_args';

/** Options of TerminateOnNaN. */
export interface TerminateOnNaNArgs {
  /** Throw instead of stopping quietly after the batch. Default: false. */
  raiseError?: boolean;
}

/** The keys of TerminateOnNaNArgs. */
export const TERMINATE_ON_NAN_OPTIONS = optionKeys<TerminateOnNaNArgs>({ raiseError: true });

/** Keras's `keras.callbacks.TerminateOnNaN`. */
export class TerminateOnNaN implements Callback {
  private readonly raiseError: boolean;
  private model: CallbackModel | null = null;

  constructor(args: TerminateOnNaNArgs = {}) {
    TERMINATE_ON_NAN_OPTIONS.check('TerminateOnNaN', args);
    this.raiseError = checkFlag('TerminateOnNaN', 'raiseError', args.raiseError ?? false);
  }

  /** Keras's `set_model`: fit calls it with the model it trains. */
  setModel(model: CallbackModel): void {
    this.model = model;
  }

  onBatchEnd(batch: number, logs: Logs): void {
    const loss = logValue(logs, 'loss');
    if (loss === undefined || Number.isFinite(loss)) return;
    if (this.raiseError) {
      throw new ValueError(
        `NaN or Inf loss encountered at batch ${batch}. Loss value: ${String(loss)}. Terminating training immediately.`,
      );
    }
    process.stdout.write(`Batch ${batch}: Invalid loss, terminating training\n`);
    requireModel('TerminateOnNaN', this.model).stopTraining = true;
  }
}
