/**
 * Keras 3's optimizers on tfjs's `tf.Optimizer`: Keras's update rules, defaults, float32
 * learning rate, iteration counter, clipping (`clipnorm`, `clipvalue`, `globalClipnorm`),
 * weight decay, and the per-lookup treatment of embedding gradients.
 */
export { KerasOptimizer } from './optimizer';
export type {
  ComputedGradients,
  KerasOptimizerArgs,
  NamedWeight,
  VariableGradients,
} from './optimizer';
export { SGD } from './sgd';
export type { SGDArgs } from './sgd';
export { Adam } from './adam';
export type { AdamArgs } from './adam';
export { RMSprop } from './rmsprop';
export type { RMSpropArgs } from './rmsprop';
export { Adagrad } from './adagrad';
export type { AdagradArgs } from './adagrad';
export { Adadelta } from './adadelta';
export type { AdadeltaArgs } from './adadelta';
export { Adamax } from './adamax';
export type { AdamaxArgs } from './adamax';
export { KERAS_OPTIMIZER_CLASSES, kerasOptimizer, kerasOptimizerClass } from './factory';
export type { KerasOptimizerClass } from './factory';
export { Gradient, clipGradients } from './gradient';
export type { ClipOptions } from './gradient';
export {
  recordIndexedSlices,
  recordLookupRows,
  segmentSum,
  disposeIndexedSlices,
} from './indexed_slices';
export type { IndexedSlices } from './indexed_slices';
export type { OptionBag } from './options';
