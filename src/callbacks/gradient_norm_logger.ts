/**
 * `GradientNormLogger`: the L2 norms of the gradients `fit` applies, every `every` batches,
 * before any clipping: the global norm (Keras's `tf.linalg.global_norm`, what `globalClipnorm`
 * compares) and each layer's (the same over the layer's trainable weights). Keras has no such
 * callback; a Keras user computes these with a `tf.GradientTape` in a custom `train_step`.
 *
 * Each recorded batch is kept in `records` and, with `filename`, written as a CSV row as it
 * comes; each epoch's logs get `grad_norm` and `grad_norm_<layer>`, the means over the epoch's
 * recorded batches (as the epoch's loss is the mean over its batches), so the history and the
 * progress bar show them beside the loss.
 */
import * as fs from 'node:fs';
import { ValueError } from '../errors';
import type { Callback, CallbackModel, GradientNorms, Logs } from '../models/training';
import { optionKeys } from '../option_keys';
import { checkFlag } from './callback_args';
import { checkCsvFile } from './csv_file';
import { pythonFloat } from './python_format';

/** Options of GradientNormLogger. */
export interface GradientNormLoggerArgs {
  /** Record batches 0, every, 2 * every, ... of each epoch (a positive integer). Default: 1. */
  every?: number;
  /** A CSV file to write each recorded batch to, as it comes; its folder must exist. Default: none. */
  filename?: string;
  /** Between the CSV columns (with `filename`). Default: ','. */
  separator?: string;
  /** Add to an existing CSV file (its header kept) rather than start a new one (with `filename`). Default: false. */
  append?: boolean;
}

/** The keys of GradientNormLoggerArgs. */
export const GRADIENT_NORM_LOGGER_OPTIONS = optionKeys<GradientNormLoggerArgs>({
  every: true,
  filename: true,
  separator: true,
  append: true,
});

/** One recorded batch: its norms before clipping. */
export interface GradientNormRecord {
  /** The epoch (0-based, as `onEpochEnd` counts it). */
  readonly epoch: number;
  /** The batch within the epoch (0-based). */
  readonly batch: number;
  /** The global norm: `sqrt` of the sum of every trainable weight's squared norm. */
  readonly global: number;
  /** Each layer's norm over its trainable weights, by layer name (layers without any left out). */
  readonly layers: Readonly<Record<string, number>>;
}

/** A layer's name and the variable names of its trainable weights. */
interface LayerWeights {
  readonly name: string;
  readonly variables: readonly string[];
}

const SUBJECT = 'GradientNormLogger';

/** The history key of a layer's mean norm: `grad_norm_<layer>`. */
function layerKey(layer: string): string {
  return `grad_norm_${layer}`;
}

/** Records the gradient norms of `fit`'s batches (see the module's comment). */
export class GradientNormLogger implements Callback {
  /** Record batches 0, every, 2 * every, ... of each epoch. */
  readonly every: number;
  /** The CSV file, or null for none. */
  readonly filename: string | null;
  /** Every recorded batch of the last `fit`, in order. */
  readonly records: GradientNormRecord[] = [];
  private readonly separator: string;
  private readonly append: boolean;
  private model: CallbackModel | null = null;
  private layers: LayerWeights[] = [];
  private epoch = 0;
  /** Where the current epoch's records start in `records`. */
  private epochStart = 0;

  constructor(args: GradientNormLoggerArgs = {}) {
    GRADIENT_NORM_LOGGER_OPTIONS.check(SUBJECT, args);
    const every = args.every ?? 1;
    if (typeof every !== 'number' || !Number.isInteger(every) || every < 1) {
      throw new ValueError(
        `${SUBJECT}: expected \`every\` to be a positive integer number of batches, received ${JSON.stringify(every)}. Write every: 1 to record each batch, every: 10 for batches 0, 10, 20, ...`,
      );
    }
    this.every = every;
    this.append = checkFlag(SUBJECT, 'append', args.append ?? false);
    this.filename = args.filename ?? null;
    const file = this.filename === null ? undefined : { name: this.filename, key: 'filename' };
    this.separator = checkCsvFile(SUBJECT, args.separator ?? ',', file);
    if (this.filename === null) {
      const given = (['separator', 'append'] as const).filter((k) => args[k] !== undefined);
      if (given.length > 0) {
        throw new ValueError(
          `${SUBJECT}: ${given.map((k) => `\`${k}\``).join(' and ')} only apply to a CSV file, and no \`filename\` was given. Pass filename: 'grad_norms.csv' too, or leave ${given.length > 1 ? 'them' : 'it'} out.`,
        );
      }
    }
  }

  /** Keras's `set_model`: fit calls it with the model it trains. */
  setModel(model: CallbackModel): void {
    this.model = model;
  }

  /** Forgets the records of an earlier fit, finds the layers, starts the CSV file. */
  onTrainBegin(): void {
    this.records.length = 0;
    this.epochStart = 0;
    this.layers = (this.model?.layers ?? [])
      .map((l) => ({ name: l.name, variables: l.trainableWeights.map((w) => w.name) }))
      .filter((l) => l.variables.length > 0);
    if (this.filename === null) return;
    const existing = this.append && fs.existsSync(this.filename);
    if (existing && fs.readFileSync(this.filename, 'utf8').length > 0) return;
    const header = ['epoch', 'batch', 'grad_norm', ...this.layers.map((l) => layerKey(l.name))];
    fs.writeFileSync(this.filename, `${header.join(this.separator)}\r\n`);
  }

  /** Notes the epoch the next records belong to. */
  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
    this.epochStart = this.records.length;
  }

  /** Whether fit should give this batch's norms: batches 0, every, 2 * every, ... */
  wantsGradientNorms(batch: number): boolean {
    return batch % this.every === 0;
  }

  /** Records the batch's global and per-layer norms, and writes its CSV row. */
  onGradientNorms(batch: number, norms: GradientNorms): void {
    const layers: Record<string, number> = {};
    for (const layer of this.layers) {
      let squared = 0;
      for (const name of layer.variables) squared += (norms.variables[name] ?? 0) ** 2;
      layers[layer.name] = Math.sqrt(squared);
    }
    const record = { epoch: this.epoch, batch, global: norms.global, layers };
    this.records.push(record);
    if (this.filename === null) return;
    const row = [
      String(record.epoch),
      String(batch),
      pythonFloat(record.global),
      ...this.layers.map((l) => pythonFloat(layers[l.name] ?? Number.NaN)),
    ];
    fs.appendFileSync(this.filename, `${row.join(this.separator)}\r\n`);
  }

  /** Adds the means over the epoch's recorded batches: `grad_norm`, `grad_norm_<layer>`. */
  onEpochEnd(_epoch: number, logs: Logs): void {
    const recorded = this.records.slice(this.epochStart);
    if (recorded.length === 0) return;
    const mean = (value: (r: GradientNormRecord) => number): number =>
      recorded.reduce((sum, r) => sum + value(r), 0) / recorded.length;
    logs.grad_norm = mean((r) => r.global);
    for (const layer of this.layers) {
      logs[layerKey(layer.name)] = mean((r) => r.layers[layer.name] ?? 0);
    }
  }
}
