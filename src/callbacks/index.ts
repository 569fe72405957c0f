/** Keras's callbacks for `fit`: checkpoints, early stopping, learning-rate plateaus, CSV logs, NaN stops. */
export { CSVLogger, type CSVLoggerArgs } from './csv_logger';
export { EarlyStopping, type EarlyStoppingArgs } from './early_stopping';
export { ModelCheckpoint, type ModelCheckpointArgs } from './model_checkpoint';
export type { MonitorMode } from './monitor';
export { ReduceLROnPlateau, type ReduceLROnPlateauArgs } from './reduce_lr_on_plateau';
export { TerminateOnNaN, type TerminateOnNaNArgs } from './terminate_on_nan';
