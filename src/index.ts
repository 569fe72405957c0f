export { useBackend, backendName, BACKEND_NAMES, BACKEND_ENV_VAR } from './backend';
export type { BackendName, BackendChoice } from './backend';
export { ValueError } from './errors';
export { KERNEL_ENV_VAR, kernelInfo } from './kernels/kernel_choice';
export type { CellKernel, CellKernels, KernelInfo } from './kernels/kernel_choice';
export {
  SIMD_ENV_VAR,
  THREADS_ENV_VAR,
  getThreads,
  setThreads,
  wasmKernelMemory,
} from './kernels/wasm';
export type { KernelVariant, WasmKernelMemory } from './kernels/wasm';
export { ACTIVATION_NAMES } from './layers/activations';
export { INITIALIZER_NAMES } from './layers/initializers';
export { orthogonalInitializer } from './layers/orthogonal';
export type { OrthogonalArgs } from './layers/orthogonal';
export type { Initializer, InitializerSpec, SerializedInitializer } from './layers/initializers';
export type { BaseLayerArgs } from './layers/layer_args';
export { RNN } from './layers/rnn/rnn';
export type { RNNArgs, RecurrentCell } from './layers/rnn/rnn';
export { SimpleRNN, SimpleRNNCell } from './layers/rnn/simple_rnn';
export type { SimpleRNNArgs, SimpleRNNCellArgs } from './layers/rnn/simple_rnn';
export { LSTM, LSTMCell } from './layers/rnn/lstm';
export type { LSTMArgs, LSTMCellArgs } from './layers/rnn/lstm';
export { GRU, GRUCell } from './layers/rnn/gru';
export type { GRUArgs, GRUCellArgs } from './layers/rnn/gru';
export type { CellArgs, SequenceRunOptions, SequenceRunResult } from './layers/rnn/cell';
export { StackedRNN } from './layers/rnn/stacked_rnn';
export type { SerializedCell, StackedRNNArgs, StackedCellSpec } from './layers/rnn/stacked_rnn';
export { Dense } from './layers/dense';
export type { DenseArgs } from './layers/dense';
export { Embedding } from './layers/embedding';
export type { EmbeddingArgs } from './layers/embedding';
export { Dropout } from './layers/dropout';
export type { DropoutArgs } from './layers/dropout';
export { Bidirectional } from './layers/rnn/bidirectional';
export type { BidirectionalArgs, MergeMode } from './layers/rnn/bidirectional';
export { Masking } from './layers/masking';
export type { MaskingArgs } from './layers/masking';
export { readCsv, parseCsv } from './data/csv';
export type { CsvColumnType, CsvSchema, CsvColumns, CsvOptions, ParseCsvOptions } from './data/csv';
export { slidingWindows } from './data/windows';
export type { Windows, Series } from './data/windows';
export { MinMaxScaler } from './data/scaler';
export type { MinMaxScalerArgs, MinMaxScalerState } from './data/scaler';
export { COURSE_LETTERS, encodeLetters, decodeLetters, nextLetterSamples } from './data/letters';
export type { NextLetterSamples } from './data/letters';
export { Sequential } from './models/sequential';
export { gradientFlow } from './introspect/gradient_flow';
export { stepStates } from './introspect/step_states';
export type {
  GradientFlow,
  LayerGradientFlow,
  LayerStepStates,
  StepStates,
} from './introspect/types';
export { RESIDENT_ENV_VAR } from './models/resident_training';
export type { SequentialArgs, FitArgs, EvaluateArgs, PredictArgs } from './models/sequential';
export { OPTIMIZER_NAMES, makeOptimizer } from './models/compile';
export type {
  CompileArgs,
  CompiledState,
  OptimizerSpec,
  OptimizerConfig,
  OptimizerName,
} from './models/compile';
export { LOSS_NAMES, getLoss } from './models/losses';
export type { Loss, LossConfig, LossFunction, LossSpec, TargetKind } from './models/losses';
export { METRIC_NAMES } from './models/metrics';
export type { MetricSpec } from './models/metrics';
export type { Callback, CallbackModel, History, HistoryParams, Logs } from './models/training';
export * from './callbacks';
export type { ProgressStream } from './models/progbar';
export type { SummaryOptions } from './models/summary';
export type { DataInput, NestedNumbers } from './models/data';
export { KerasJsonError } from './keras/keras_json';
export type { JsonObject, JsonValue } from './keras/keras_json';
export { dialectOf } from './keras/keras_values';
export type { KerasDialect } from './keras/keras_values';
export {
  SUPPORTED_KERAS_CLASSES,
  buildLayer,
  inputFromKeras,
  kerasLayerSpec,
  layerFromKeras,
} from './keras/layer_from_keras';
export type {
  BidirectionalSpecArgs,
  KerasInputSpec,
  KerasLayerInfo,
  KerasLayerSpec,
  RecurrentLayerSpec,
  KerasReadOptions,
  LayerToBuild,
  MappedLayer,
} from './keras/layer_from_keras';
export { modelFromKeras, modelFromKerasLayer } from './keras/model_from_keras';
export type {
  KerasLayerModelOptions,
  KerasModel,
  KerasModelLayer,
  KerasModelOptions,
} from './keras/model_from_keras';
export { kerasWeightOrder, loadKerasWeights } from './keras/keras_weights';
export { loadKerasModel, type LoadKerasModelOptions } from './keras/load_keras_model';
export type { KerasWeightSlot, KerasWeightValues } from './keras/keras_weights';
export {
  FIXTURE_FORMAT,
  FIXTURE_VERSION,
  FixtureError,
  fixtureTensor,
  parseFixture,
  readFixtureFile,
} from './keras/fixture';
export type {
  FixtureCase,
  FixtureDtype,
  FixtureTensor,
  FixtureWeight,
  KerasFixture,
} from './keras/fixture';
export type { SectionResult } from './keras/sections';
export {
  compareFiles,
  compareFixture,
  compareFixtureFile,
  formatResult,
  formatSummary,
  modelFromFixture,
  runCase,
  summarize,
} from './keras/compare';
export type {
  CaseResult,
  CompareFilesOptions,
  CompareOptions,
  CompareSummary,
  FixtureResult,
  SkippedSection,
} from './keras/compare';
export {
  Adadelta,
  Adagrad,
  Adam,
  Adamax,
  KERAS_OPTIMIZER_CLASSES,
  KerasOptimizer,
  RMSprop,
  SGD,
  kerasOptimizer,
  kerasOptimizerClass,
} from './optimizers';
export type {
  AdadeltaArgs,
  AdagradArgs,
  AdamArgs,
  AdamaxArgs,
  ComputedGradients,
  IndexedSlices,
  KerasOptimizerArgs,
  KerasOptimizerClass,
  NamedWeight,
  OptionBag,
  RMSpropArgs,
  SGDArgs,
} from './optimizers';
