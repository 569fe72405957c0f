/** Keras's callbacks for `fit`: checkpoints, early stopping, learning-rate plateaus, CSV logs, NaN stops; and gradient norms. */
export { CSVLogger, type CSVLoggerArgs } from './csv_logger';
export { EarlyStopping, type EarlyStoppingArgs } from './early_stopping';
export {
  GradientNormLogger,
  type GradientNormLoggerArgs,
  type GradientNormRecord,
} from './gradient_norm_logger';
// The norms fit gives a callback's onGradientNorms (src/index.ts exports the other hook types).
export type { GradientNorms } from '../models/training';
export { ModelCheckpoint, type ModelCheckpointArgs } from './model_checkpoint';
export type { MonitorMode } from './monitor';
export { ReduceLROnPlateau, type ReduceLROnPlateauArgs } from './reduce_lr_on_plateau';
export { TerminateOnNaN, type TerminateOnNaNArgs } from './terminate_on_nan';
