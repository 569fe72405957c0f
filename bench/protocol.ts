/**
 * What bench/run.ts (the parent) and bench/child.ts (one process per backend) say to each other
 * over Node's IPC channel, and the names both sides share.
 */

export const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
export type Backend = (typeof BACKENDS)[number];

export const MODEL_NAMES = ['letters', 'stock', 'stock-lstm', 'stock-gru', 'imdb'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** The models a run times when --model does not name them. */
export const DEFAULT_MODELS: readonly ModelName[] = ['letters', 'stock'];

/**
 * Whether `model` is one of the heavy ones, whose tf.layers epoch takes seconds: the stock shape
 * (60x1 -> 80 (seq) -> 100 -> Dense(1)) of any cell kind, and imdb (80 word ids -> Embedding(64)
 * -> Bidirectional(LSTM(64)) -> Dense(1)).
 */
export function isHeavy(model: ModelName): boolean {
  return model !== 'letters';
}

/**
 * The contenders that run in the child, on the child's tfjs backend: this package's layers on
 * its default kernel (WebAssembly SIMD), the same layers on the older fused tfjs-ops kernel
 * (TFJS_KERAS_RNN_KERNEL=fused around its calls only), and tf.layers.
 */
export const JS_CONTENDERS = ['ours', 'ours-fused', 'tf.layers'] as const;
export type JsContender = (typeof JS_CONTENDERS)[number];

/** Every contender, in the order the table lists them. */
export const CONTENDERS = [...JS_CONTENDERS, 'keras'] as const;
export type Contender = (typeof CONTENDERS)[number];

export function isJsContender(name: Contender): name is JsContender {
  return name !== 'keras';
}

/** The data sizes of one model's benchmark. */
export interface ModelSize {
  samples: number;
  batchSize: number;
}

export interface SetupRequest extends ModelSize {
  cmd: 'setup';
  model: ModelName;
  shuffle: boolean;
  /** The tfjs contenders to build (each built one starts from our model's weights). */
  contenders: JsContender[];
}
export interface TrainRequest {
  cmd: 'train';
  contender: JsContender;
  epochs: number;
}
export interface PredictRequest {
  cmd: 'predict';
  contender: JsContender;
}
export interface ProfileRequest {
  cmd: 'profile';
  contender: JsContender;
  /** Batches of one profiled (untimed) training pass. */
  batches: number;
}
export interface StatusRequest {
  cmd: 'status';
}
export interface TeardownRequest {
  cmd: 'teardown';
}
export type ChildRequest =
  SetupRequest | TrainRequest | PredictRequest | ProfileRequest | StatusRequest | TeardownRequest;

export interface SetupResult {
  /** Parameters of each contender's model (equal when the models are the same). */
  params: Partial<Record<JsContender, number>>;
  /**
   * max |ours - that contender| of the predictions on one batch, right after copying our
   * weights into its model (so also a check that the kernels agree).
   */
  startDifferences: Partial<Record<JsContender, number>>;
  /** The SimpleRNN kernel each of our contenders runs, e.g. `wasm simd, 2 threads` or `fused`. */
  kernels: Partial<Record<JsContender, string>>;
  /**
   * Contenders not built because they cannot train the model on this backend, with the reason
   * (tf.layers' Embedding on wasm: tfjs's gather gradient needs a kernel the backend lacks).
   */
  unsupported: Partial<Record<JsContender, string>>;
}
export interface TrainResult {
  /** Wall time of the whole `fit` call. */
  seconds: number;
  /** Wall time of each epoch, from its begin to its end callback. */
  epochSeconds: number[];
  /** `tf.memory().numTensors` at the end of each epoch. */
  tensorsAfterEpoch: number[];
  /** The epoch's loss as `fit` reports it. */
  loss: number[];
}
export interface PredictResult {
  seconds: number;
}
export interface ProfileResult {
  /** Peak of tfjs's tensor bytes during the pass, above the bytes held before it. */
  peakBytes: number;
  /** Tensors left behind by the pass (0 unless something leaks or an optimizer made its slots). */
  newTensors: number;
  /** Kernels run per batch, and the most frequent kernels with their counts per batch. */
  kernelsPerBatch: number;
  topKernels: [string, number][];
  /** Time inside kernels per batch (as tf.profile measures it), and the kernels that took most. */
  kernelMsPerBatch: number;
  topKernelsByTime: [string, number][];
  /** Wall time per batch of the profiled pass (slower than unprofiled: every kernel is timed). */
  wallMsPerBatch: number;
}
export interface StatusResult {
  backend: string;
  maxRssBytes: number;
  numTensors: number;
  numBytes: number;
}

export interface ResultMap {
  setup: SetupResult;
  train: TrainResult;
  predict: PredictResult;
  profile: ProfileResult;
  status: StatusResult;
  teardown: StatusResult;
}

/** The child's first message: the backend it runs on, or why it could not start. */
export type ReadyMessage =
  { kind: 'ready'; backend: string; tfjs: string } | { kind: 'failed'; error: string };

export type ResponseMessage =
  | { kind: 'response'; id: number; ok: true; result: ResultMap[keyof ResultMap] }
  | { kind: 'response'; id: number; ok: false; error: string };

export type ParentMessage = { id: number; request: ChildRequest } | { exit: true };
export type ChildMessage = ReadyMessage | ResponseMessage;

/** A readable message for anything thrown. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.name;
  return String(err);
}
