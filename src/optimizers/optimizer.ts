/**
 * KerasOptimizer: the base of this package's optimizers, Keras 3's `BaseOptimizer` on tfjs's
 * `tf.Optimizer`. Subclasses write only their update rule and the names of their slots.
 *
 * One step, as Keras's `apply`: gradients of no variable are dropped; the rest are clipped
 * (`clipnorm`, `globalClipnorm` or `clipvalue`), weight decay is applied, each variable is
 * updated by the subclass's rule, then the iteration counter goes up by one. The learning rate
 * is float32, as Keras's `learning_rate` variable, and the scalar factors of each rule are
 * rounded to float32 where Keras computes them in float32.
 *
 * Slots (Adam's momentum and velocity, ...) are kept per variable name, so the order in which
 * gradients are passed does not matter.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, formatShape } from '../errors';
import { Gradient, clipGradients } from './gradient';
import { type IndexedSlices, disposeIndexedSlices, recordIndexedSlices } from './indexed_slices';
import { type OptionKeys, optionKeys } from '../option_keys';
import {
  BASE_KERAS_KEYS,
  type BaseOptions,
  type OptionBag,
  readBaseOptions,
  show,
} from './options';

/** Float32 rounding of a JavaScript number: Keras computes these scalars in float32. */
export const f32 = Math.fround;

/** What `applyGradients` accepts: tfjs's map of gradients by variable name, or a list. */
export type VariableGradients = Parameters<tf.Optimizer['applyGradients']>[0];

/** Options every Keras optimizer takes. */
export interface KerasOptimizerArgs {
  /** The step size, stored as float32 (0.01 reads back 0.009999999776482582, as in Keras). Default: the class's (0.01 for SGD, 0.001 for the others). */
  learningRate?: number;
  /** Rescale each variable's gradient to an L2 norm of at most this, before the update. Exclusive with `clipvalue` and `globalClipnorm`; 0 does not clip. Default: none. */
  clipnorm?: number | null;
  /** Clip every gradient element to [-clipvalue, clipvalue], before the update. Exclusive with `clipnorm` and `globalClipnorm`; 0 does not clip. Default: none. */
  clipvalue?: number | null;
  /** Rescale all gradients together to a global L2 norm of at most this, before the update. Exclusive with `clipnorm` and `clipvalue`; 0 does not clip. Default: none. */
  globalClipnorm?: number | null;
  /** Keras's decoupled weight decay: `w -= w * weightDecay * learningRate` before each update. Default: none. */
  weightDecay?: number | null;
  /** The optimizer's name, as Keras's `name`. Default: Keras's ('adam', 'sgd', 'rm_sprop', ...). */
  name?: string;
}

const EMA_ONLY = 'it acts with `useEma` only; leave it out';

/**
 * The keys of KerasOptimizerArgs, and the options of Keras's BaseOptimizer not implemented yet:
 * Keras's `get_config()` writes them at their defaults, which are accepted.
 */
export const KERAS_OPTIMIZER_OPTIONS = optionKeys<KerasOptimizerArgs>(
  {
    learningRate: true,
    clipnorm: true,
    clipvalue: true,
    globalClipnorm: true,
    weightDecay: true,
    name: true,
  },
  {
    useEma: { default: false, hint: 'the weights are used as trained; leave it out' },
    emaMomentum: { default: 0.99, hint: EMA_ONLY },
    emaOverwriteFrequency: { hint: EMA_ONLY },
    lossScaleFactor: { hint: 'the fit loop does not scale the loss; leave it out' },
    gradientAccumulationSteps: { hint: 'every batch takes a step; leave it out' },
    // Porting note: Keras 3 warns and ignores a non-null `decay`; here a nonzero one is an error,
    // since a config that has it comes from Keras 2, where it lowered the learning rate.
    decay: {
      default: 0,
      hint: "Keras 3 ignores Keras 2's `decay`; leave it out, or lower the learning rate yourself",
    },
  },
);

/** A slot variable and the name `getWeights` gives it. */
interface Slot {
  readonly name: string;
  readonly variable: tf.Variable;
}

function isNamedTensorList(
  grads: VariableGradients,
): grads is Extract<VariableGradients, readonly unknown[]> {
  return Array.isArray(grads);
}

/** One of an optimizer's weights: its name and value, as `getWeights` gives and `setWeights` takes. */
export interface NamedWeight {
  /** `iter`, or `<variable>/<slot>`. */
  name: string;
  /** Its value. */
  tensor: tf.Tensor;
}

/** What `computeGradients` returns, as tfjs's Optimizer does. */
export interface ComputedGradients {
  /** The loss the gradients are of. */
  value: tf.Scalar;
  /** Each variable's gradient, by variable name. */
  grads: tf.NamedTensorMap;
}

/** The base class: Keras's clipping, weight decay, iteration counter and slot bookkeeping. */
export abstract class KerasOptimizer extends tf.Optimizer {
  /** The optimizer's name (Keras's `name`). */
  readonly name: string;
  /** Each gradient is rescaled to at most this L2 norm before the update (Keras's `clipnorm`); null: none. */
  readonly clipnorm: number | null;
  /** Each gradient's values are clipped to [-clipvalue, clipvalue] (Keras's `clipvalue`); null: none. */
  readonly clipvalue: number | null;
  /** All gradients together are rescaled to at most this global norm (Keras's `global_clipnorm`); null: none. */
  readonly globalClipnorm: number | null;
  /** Decoupled weight decay applied before each update (Keras's `weight_decay`); null: none. */
  readonly weightDecay: number | null;
  private lr: number;
  /** Slots by variable name, then by slot name, in creation order. */
  private readonly slots = new Map<string, Map<string, Slot>>();
  /** Per-lookup rows recorded by the last `computeGradients`, used by the next `applyGradients`. */
  private pendingSlices: Map<string, IndexedSlices> | null = null;

  /**
   * @param args the options, typed or from a config (checked at run time).
   * @param keys the subclass's options table (KERAS_OPTIMIZER_OPTIONS extended).
   * @param defaults the subclass's Keras name and learning rate.
   */
  protected constructor(
    args: OptionBag,
    keys: OptionKeys<KerasOptimizerArgs>,
    defaults: { name: string; learningRate: number },
  ) {
    super();
    const subject = (new.target as unknown as { className: string }).className;
    if (typeof args !== 'object' || (args as unknown) === null || Array.isArray(args)) {
      throw new ValueError(
        `${subject}: expected an options object such as { learningRate: 0.01 }, received ${show(args)}.`,
      );
    }
    keys.check(subject, args);
    const base: BaseOptions = readBaseOptions(subject, args, defaults);
    // Porting note: the default name is Keras's base name ('adam'), without the `_1`, `_2`
    // suffixes Keras adds per session.
    this.name = base.name;
    this.lr = f32(base.learningRate);
    this.clipnorm = base.clipnorm;
    this.clipvalue = base.clipvalue;
    this.globalClipnorm = base.globalClipnorm;
    this.weightDecay = base.weightDecay;
  }

  /** The learning rate, as the float32 Keras stores. */
  get learningRate(): number {
    return this.lr;
  }

  /** Sets the learning rate (rounded to float32); a negative or non-finite value is an error. */
  set learningRate(value: number) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new ValueError(
        `${this.getClassName()}: expected \`learningRate\` to be a number >= 0, received ${show(value)}.`,
      );
    }
    this.lr = f32(value);
  }

  /** The slot names Keras creates per variable with these options, in Keras's order. */
  abstract slotNames(): readonly string[];

  /** The initial value of a slot (0 but for Adagrad's accumulator). */
  protected slotInitialValue(_slot: string): number {
    return 0;
  }

  /**
   * Keras's `update_step` for one variable. `step` is Keras's `local_step`, the 1-based number
   * of this update; `lr` the float32 learning rate. Runs inside a tidy.
   */
  protected abstract updateStep(
    variable: tf.Variable,
    gradient: Gradient,
    lr: number,
    step: number,
  ): void;

  /** The options of the subclass, camelCase, for `getConfig`. */
  protected abstract specificConfig(): tf.serialization.ConfigDict;

  /** The slot `slot` of `variable`, created (zeros, or the slot's initial value) on first use. */
  protected slot(variable: tf.Variable, slot: string): tf.Variable {
    let byName = this.slots.get(variable.name);
    if (byName === undefined) {
      byName = new Map();
      this.slots.set(variable.name, byName);
    }
    const existing = byName.get(slot);
    if (existing !== undefined) return existing.variable;
    const init = this.slotInitialValue(slot);
    const created = tf.tidy(() => tf.variable(tf.fill(variable.shape, init, 'float32'), false));
    byName.set(slot, { name: `${variable.name}/${slot}`, variable: created });
    return created;
  }

  /**
   * The slot `slot` of `variable` (one of `slotNames()`), created as a step would create it:
   * for code that updates the variables outside `applyGradients` (see
   * src/models/resident_training.ts).
   */
  slotOf(variable: tf.Variable, slot: string): tf.Variable {
    if (!this.slotNames().includes(slot)) {
      throw new ValueError(
        `${this.getClassName()}: no slot '${slot}'; its slots are ${this.slotNames()
          .map((s) => `'${s}'`)
          .join(', ')}.`,
      );
    }
    return this.slot(variable, slot);
  }

  /** Counts one step taken outside `applyGradients` (`iterations + 1`, as a step does). */
  countStep(): void {
    this.incrementIterations();
  }

  /**
   * Computes the gradients as tfjs does, recording the per-lookup rows of embedding tables
   * read by `gatherRows` for the next `applyGradients` (Keras's IndexedSlices). `minimize`
   * goes through here.
   */
  override computeGradients(f: () => tf.Scalar, varList?: tf.Variable[]): ComputedGradients {
    const { result, slices } = recordIndexedSlices(() => super.computeGradients(f, varList));
    this.setPendingSlices(slices);
    return result;
  }

  private setPendingSlices(slices: Map<string, IndexedSlices> | null): void {
    if (this.pendingSlices !== null) disposeIndexedSlices(this.pendingSlices);
    this.pendingSlices = slices;
  }

  /**
   * Updates the variables (by name) with their gradients, as Keras's `apply`: clipping, weight
   * decay, each variable's rule, then `iterations + 1`. Variables whose gradient is missing are
   * left alone. `indexedSlices` gives per-lookup rows of embedding tables by variable name (the
   * caller keeps ownership); by default, those recorded by the last `computeGradients`.
   */
  override applyGradients(
    variableGradients: VariableGradients,
    indexedSlices?: ReadonlyMap<string, IndexedSlices>,
  ): void {
    const subject = `${this.getClassName()}.applyGradients`;
    const pending = this.pendingSlices;
    this.pendingSlices = null;
    try {
      const slices = indexedSlices ?? pending ?? new Map<string, IndexedSlices>();
      const entries = this.gradientEntries(subject, variableGradients);
      if (entries.length === 0) {
        throw new ValueError(`${subject}: no gradients provided for any variable.`);
      }
      const gradients = entries.map(({ variable, gradient }) =>
        this.gradientOf(subject, variable, gradient, slices.get(variable.name)),
      );
      tf.tidy(() => {
        const clipped = clipGradients(gradients, this);
        const step = this.iterations + 1;
        entries.forEach(({ variable }, i) => {
          if (this.weightDecay !== null) {
            variable.assign(tf.sub(variable, tf.mul(tf.mul(variable, this.weightDecay), this.lr)));
          }
          this.updateStep(variable, clipped[i], this.lr, step);
        });
      });
      this.incrementIterations();
    } finally {
      if (pending !== null) disposeIndexedSlices(pending);
    }
  }

  /** The registered variable and gradient of each entry that has a gradient. */
  private gradientEntries(
    subject: string,
    grads: VariableGradients,
  ): { variable: tf.Variable; gradient: tf.Tensor }[] {
    const pairs: [string, tf.Tensor | undefined][] = isNamedTensorList(grads)
      ? grads.map((g): [string, tf.Tensor | undefined] => [g.name, g.tensor])
      : Object.entries(grads);
    const registry: Partial<Record<string, tf.Variable>> = tf.engine().registeredVariables;
    const entries: { variable: tf.Variable; gradient: tf.Tensor }[] = [];
    for (const [name, gradient] of pairs) {
      // tfjs's `minimize` passes undefined for a variable without a gradient; JS callers null.
      if (!(gradient instanceof tf.Tensor)) continue;
      const variable = registry[name];
      if (variable === undefined) {
        throw new ValueError(
          `${subject}: no variable named '${name}' exists (was it disposed?); gradients are given by variable name.`,
        );
      }
      if (!sameShape(gradient.shape, variable.shape)) {
        throw new ValueError(
          `${subject}: the gradient of '${name}' has shape ${formatShape(gradient.shape)}, the variable has shape ${formatShape(variable.shape)}.`,
        );
      }
      entries.push({ variable, gradient });
    }
    return entries;
  }

  /** The dense gradient, or the per-lookup rows when some were recorded for this variable. */
  private gradientOf(
    subject: string,
    variable: tf.Variable,
    dense: tf.Tensor,
    slices: IndexedSlices | undefined,
  ): Gradient {
    if (slices === undefined) return Gradient.dense(dense);
    const rowShape = variable.shape.slice(1);
    const n = slices.indices.shape[0];
    if (
      variable.rank < 1 ||
      slices.indices.rank !== 1 ||
      !sameShape(slices.values.shape, [n, ...rowShape])
    ) {
      throw new ValueError(
        `${subject}: the rows given for '${variable.name}' have indices ${formatShape(slices.indices.shape)} and values ${formatShape(slices.values.shape)}; expected [n] and [n, ${rowShape.join(', ')}] for a variable of shape ${formatShape(variable.shape)}.`,
      );
    }
    return Gradient.rows(slices, variable.shape[0] ?? 0);
  }

  /**
   * `[iter, ...slots]`: the iteration count, then each variable's slots, named
   * `<variable>/<slot>`.
   */
  override async getWeights(): Promise<NamedWeight[]> {
    // Porting note: tfjs's layout (`iter` first), not Keras's `optimizer.variables` (iteration,
    // learning_rate, then slots grouped as each optimizer creates them): the learning rate is
    // config here, and slots are listed variable by variable.
    const slots = [...this.slots.values()].flatMap((byName) =>
      this.slotNames().flatMap((s) => {
        const slot = byName.get(s);
        return slot === undefined ? [] : [{ name: slot.name, tensor: slot.variable }];
      }),
    );
    return [await this.saveIterations(), ...slots];
  }

  /**
   * Restores what `getWeights` returned: the iteration count first, then slots by name
   * (`<variable>/<slot>`). Every entry is checked before any is written.
   */
  override async setWeights(weightValues: NamedWeight[]): Promise<void> {
    const subject = `${this.getClassName()}.setWeights`;
    const iter = weightValues.at(0);
    const rest = weightValues.slice(1);
    if (iter?.tensor.size !== 1) {
      throw new ValueError(
        `${subject}: expected the iteration count (a scalar) first, then the slots, received ${iter === undefined ? 'nothing' : `'${iter.name}' of shape ${formatShape(iter.tensor.shape)}`}.`,
      );
    }
    const registry: Partial<Record<string, tf.Variable>> = tf.engine().registeredVariables;
    const known = this.slotNames();
    const parsed = rest.map(({ name, tensor }) => {
      const cut = name.lastIndexOf('/');
      const variable = registry[name.slice(0, cut)];
      const slot = name.slice(cut + 1);
      if (cut < 0 || variable === undefined || !known.includes(slot)) {
        throw new ValueError(
          `${subject}: '${name}' is not '<variable>/<slot>' for a variable that exists and a slot of this optimizer (${known.length === 0 ? 'none' : known.map((s) => `'${s}'`).join(', ')}).`,
        );
      }
      if (!sameShape(tensor.shape, variable.shape)) {
        throw new ValueError(
          `${subject}: '${name}' has shape ${formatShape(tensor.shape)}, the variable has shape ${formatShape(variable.shape)}.`,
        );
      }
      return { variable, slot, tensor };
    });
    const count = (await iter.tensor.data())[0];
    tf.tidy(() => {
      for (const { variable, slot, tensor } of parsed) {
        this.slot(variable, slot).assign(tf.cast(tensor, 'float32'));
      }
    });
    this.iterations_ = count;
  }

  /** The options, camelCase: what `fromConfig` (and tfjs deserialization) takes back. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      name: this.name,
      learningRate: this.lr,
      weightDecay: this.weightDecay,
      clipnorm: this.clipnorm,
      globalClipnorm: this.globalClipnorm,
      clipvalue: this.clipvalue,
      ...this.specificConfig(),
    };
  }

  /**
   * Keras's `optimizer.get_config()`: snake_case keys in Keras's order, including the options
   * Keras has and this package keeps at their inert values (`use_ema: false`, ...).
   */
  kerasConfig(): Record<string, number | string | boolean | null> {
    const config = this.getConfig();
    const out: Record<string, number | string | boolean | null> = {};
    const put = (camel: string, snake: string): void => {
      const value = config[camel];
      out[snake] =
        typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean'
          ? value
          : null;
    };
    const inert = KERAS_OPTIMIZER_OPTIONS.notYet;
    for (const [camel, snake] of Object.entries(BASE_KERAS_KEYS)) {
      if (camel in inert) out[snake] = inert[camel]?.default ?? null;
      else put(camel, snake);
    }
    for (const camel of Object.keys(this.specificConfig())) put(camel, kerasKey(camel));
    return out;
  }

  /** Frees every slot and any recorded rows. */
  override dispose(): void {
    this.setPendingSlices(null);
    for (const byName of this.slots.values()) {
      for (const { variable } of byName.values()) variable.dispose();
    }
    this.slots.clear();
    super.dispose();
  }
}

/**
 * Whether `optimizer` is one of this package's Keras optimizers. Not `instanceof`: tfjs's
 * Optimizer defines `Symbol.hasInstance` by duck typing (any object with `minimize`,
 * `computeGradients` and `applyGradients`), which its subclasses inherit, so every tfjs
 * optimizer passes `instanceof KerasOptimizer`.
 */
export function isKerasOptimizer(optimizer: unknown): optimizer is KerasOptimizer {
  return (
    typeof optimizer === 'object' &&
    optimizer !== null &&
    Object.prototype.isPrototypeOf.call(KerasOptimizer.prototype, optimizer)
  );
}

/** `beta1` -> `beta_1`, `initialAccumulatorValue` -> `initial_accumulator_value`. */
export function kerasKey(camel: string): string {
  return BASE_KERAS_KEYS[camel] ?? camel.replace(/([A-Z]|\d+)/g, (m) => `_${m.toLowerCase()}`);
}

function sameShape(a: readonly (number | null)[], b: readonly (number | null)[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
