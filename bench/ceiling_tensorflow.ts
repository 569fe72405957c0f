/**
 * TensorFlow's own matrix products on the stock layers' sizes, for `npm run bench:ceiling`:
 * `node --import tsx bench/ceiling_tensorflow.ts`, started by bench/ceiling.ts with an IPC
 * channel (tfjs cannot switch from the wasm backend to tfjs-node cleanly inside one process). It
 * selects the tensorflow backend (libtensorflow through tfjs-node, where TensorFlow uses AVX-512
 * through oneDNN) and says `{ ready }` or `{ failed }`; then for each `{ round }` it runs every
 * product of one stock pass of each kind (see stockStackProducts) several times and answers with
 * each kind's GMAC/s: the rate TensorFlow's matmul gives the same multiply-adds, without the
 * activations, copies and bookkeeping that the kernels' rate includes.
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/index';
import { errorMessage } from './protocol';
import {
  STOCK_KINDS,
  type StockKind,
  type StockProduct,
  stockStackMacs,
  stockStackProducts,
} from './stock_stack';

/** Passes of a round, and how many of the first are left out of the rate (as the kernels'). */
const PASSES = 6;
const WARM_PASSES = 2;

/** What this child answers. */
export type CeilingTensorflowMessage =
  | { kind: 'ready'; backend: string }
  | { kind: 'failed'; error: string }
  | { kind: 'rates'; rates: Record<StockKind, number> };

function send(message: CeilingTensorflowMessage): void {
  process.send?.(message);
}

/** Operands of each product, made once. */
function operands(products: readonly StockProduct[]): [tf.Tensor2D, tf.Tensor2D][] {
  return products.map(({ m, k, n }, i) => [
    tf.randomUniform<tf.Rank.R2>([m, k], -1, 1, 'float32', 2 * i + 1),
    tf.randomUniform<tf.Rank.R2>([k, n], -1, 1, 'float32', 2 * i + 2),
  ]);
}

/** Seconds of one pass: every product, each result downloaded so that it is computed. */
function pass(
  products: readonly StockProduct[],
  pairs: readonly [tf.Tensor2D, tf.Tensor2D][],
): number {
  const start = performance.now();
  products.forEach(({ count }, i) => {
    const [a, b] = pairs[i];
    for (let c = 0; c < count; c++) {
      const product = tf.matMul(a, b);
      // Each step's product waits for the one before in a recurrence: take it before the next.
      product.dataSync();
      product.dispose();
    }
  });
  return (performance.now() - start) / 1000;
}

async function main(): Promise<void> {
  try {
    await useBackend('tensorflow');
  } catch (err) {
    send({ kind: 'failed', error: errorMessage(err) });
    return;
  }
  const kinds = STOCK_KINDS.map((kind) => {
    const products = stockStackProducts(kind);
    return { kind, products, pairs: operands(products) };
  });
  for (const { products, pairs } of kinds) pass(products, pairs);
  send({ kind: 'ready', backend: tf.getBackend() });
  process.on('message', (message: { round?: number; exit?: boolean }) => {
    if (message.exit === true) {
      process.disconnect();
      return;
    }
    const rates = Object.fromEntries(
      kinds.map(({ kind, products, pairs }) => {
        let seconds = 0;
        for (let p = 0; p < PASSES; p++) {
          const t = pass(products, pairs);
          if (p >= WARM_PASSES) seconds += t;
        }
        return [kind, ((PASSES - WARM_PASSES) * stockStackMacs(kind)) / seconds / 1e9];
      }),
    ) as Record<StockKind, number>;
    send({ kind: 'rates', rates });
  });
}

void main();
