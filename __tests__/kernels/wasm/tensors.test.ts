import * as tf from '@tensorflow/tfjs';
import { copyRowsFromWasmBackend } from '../../../src/kernels/wasm/tensors';
import { useTestBackend } from '../../helpers/tensors';

let backend: string;

beforeAll(async () => {
  backend = await useTestBackend();
});

describe('copyRowsFromWasmBackend', () => {
  it('copies the rows of a float32 tensor on the wasm backend, as tf.gather takes them', () => {
    const x = tf.tensor3d(
      Float32Array.from({ length: 5 * 3 * 2 }, (_, i) => i * 0.5 - 3),
      [5, 3, 2],
    );
    const rows = Int32Array.from([4, 0, 4, 2]);
    const copied = copyRowsFromWasmBackend(x, rows);
    if (backend !== 'wasm') {
      expect(copied).toBeUndefined();
    } else {
      const gathered = tf.gather(x, tf.tensor1d(rows, 'int32'));
      expect(copied?.shape).toEqual([4, 3, 2]);
      expect(copied?.dtype).toBe('float32');
      expect(copied).toBeAllClose(gathered, 0, 0);
      tf.dispose([copied, gathered]);
    }
    x.dispose();
  });

  it('copies no rows into an empty tensor of the row shape', () => {
    const x = tf.ones([3, 4]);
    const copied = copyRowsFromWasmBackend(x, new Int32Array(0));
    if (backend === 'wasm') expect(copied?.shape).toEqual([0, 4]);
    else expect(copied).toBeUndefined();
    tf.dispose([x, copied]);
  });

  it('leaves int32 tensors to tf.gather', () => {
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32');
    expect(copyRowsFromWasmBackend(x, Int32Array.from([1]))).toBeUndefined();
    x.dispose();
  });
});
