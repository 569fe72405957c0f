/**
 * A Dense layer's product x · kernel + bias on 2-D x: in the WebAssembly kernels
 * (src/kernels/wasm/dense.ts) where they run and are the faster, else tfjs's matMul and add.
 */
import * as tf from '@tensorflow/tfjs';
import { useWasmKernel } from './kernel_choice';
import { wasmDense } from './wasm';

/**
 * On the tensorflow backend the kernels only for inputs and outputs of at most this many values
 * together (rows x (features + units)): libtensorflow's matMul runs on every core with wider
 * vectors, and the kernels copy every value in and out. Dense and MSE forward and backward
 * there: [64, 100] -> 1 1171 us with tfjs ops against 649 us, [64, 100] -> 100 1449 against
 * 1062 us, but [3840, 100] -> 1 2250 against 4614 us and [640, 64] -> 64 2644 against 3360 us.
 * On the wasm backend the kernels were faster at every size tried (up to 6.7x).
 */
const TENSORFLOW_MAX_VALUES = 1 << 14;
/**
 * Elsewhere at most this many (16 MB of float32, about twice that in the backward pass): the
 * kernels' memory grows to hold a call's copies and never shrinks, so a one-off call on a whole
 * data set goes to tfjs's ops instead.
 */
const MAX_VALUES = 1 << 22;

/** Whether the kernels run the product of `rows` rows of `features` float32 inputs by `kernel`. */
export function denseRunsOnKernels(rows: number, features: number, kernel: tf.Tensor): boolean {
  if (rows === 0 || kernel.dtype !== 'float32') return false;
  const values = rows * (features + ((kernel.shape as readonly number[])[1] ?? 0));
  return values <= (tf.getBackend() === 'tensorflow' ? TENSORFLOW_MAX_VALUES : MAX_VALUES);
}

function runsOnKernels(x: tf.Tensor2D, kernel: tf.Tensor2D): boolean {
  return x.dtype === 'float32' && denseRunsOnKernels(x.shape[0], x.shape[1], kernel);
}

/** x [rows, features] · kernel [features, units] (+ bias [units]; null: none). */
export function denseProduct(
  x: tf.Tensor2D,
  kernel: tf.Tensor2D,
  bias: tf.Tensor1D | null,
): tf.Tensor2D {
  if (useWasmKernel() && runsOnKernels(x, kernel)) return wasmDense(x, kernel, bias);
  const product = tf.matMul<tf.Tensor2D>(x, kernel);
  return bias === null ? product : tf.add<tf.Tensor2D>(product, bias);
}
