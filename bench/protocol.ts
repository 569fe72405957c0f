/**
 * What bench/run.ts (the parent) and bench/child.ts (one process per backend) say to each other
 * over Node's IPC channel, and the names both sides share.
 */

export const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
export type Backend = (typeof BACKENDS)[number];

export const MODEL_NAMES = ['letters', 'stock'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** The contenders that run in the child, on the child's tfjs backend. */
export const JS_CONTENDERS = ['ours', 'tf.layers'] as const;
export type JsContender = (typeof JS_CONTENDERS)[number];

/** Every contender, in the order the table lists them. */
export const CONTENDERS = [...JS_CONTENDERS, 'keras'] as const;
export type Contender = (typeof CONTENDERS)[number];

/** The data sizes of one model's benchmark. */
export interface ModelSize {
  samples: number;
  batchSize: number;
}

export interface SetupRequest extends ModelSize {
  cmd: 'setup';
  model: ModelName;
  shuffle: boolean;
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
  /** Parameters of our model and of tf.layers' (equal when the models are the same). */
  params: Record<JsContender, number>;
  /** max |ours - tf.layers| of the predictions on one batch, right after copying the weights. */
  startDifference: number;
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
