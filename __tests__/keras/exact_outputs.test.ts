/**
 * Recurrent models whose outputs equal Keras's bit for bit: their kernels compute what
 * TensorFlow's CPU kernels compute, in the same order (sums over k in order with fused
 * multiply-adds, TensorFlow's tanh and sigmoid). Each fixture's case is compared with
 * tolerance 0, on every fixture backend. The SIMD128 build (TFJS_KERAS_RNN_SIMD=plain) rounds
 * each multiply and add apart, so there the fixture's own atol applies.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../src/backend';
import { caseInputs, modelFromFixture } from '../../src/keras/compare';
import { fixtureTensor, readFixtureFile } from '../../src/keras/fixture';
import { wasmKernelInfo } from '../../src/kernels/wasm/runtime';
import { fixtureBackends } from '../helpers/tensors';

const FIXTURE_DIR = join(__dirname, '..', 'fixtures', 'keras');

/** SimpleRNN models (one with a final Dense) that Keras and this package compute alike. */
const EXACT = [
  'layer_simple_rnn_return_state',
  'layer_simple_rnn_return_state_seq',
  'simple_rnn_activation_linear',
  'simple_rnn_activation_relu',
  'simple_rnn_activation_sigmoid',
  'simple_rnn_activation_tanh',
  'simple_rnn_b1_t1',
  'simple_rnn_b1_t4_f2_last',
  'simple_rnn_b2_t1_f3_last',
  'simple_rnn_b2_t1_f3_seq',
  'simple_rnn_cell_dropout_inference',
  'simple_rnn_go_backwards_last',
  'simple_rnn_go_backwards_seq',
  'simple_rnn_long_50_steps',
  'simple_rnn_no_bias',
  'simple_rnn_sigmoid_grid',
  'simple_rnn_stacked3_dense1',
  'simple_rnn_tanh_grid',
  'stacked_cells_rnn_last',
  'stacked_cells_rnn_seq',
];

describe.each(fixtureBackends())('outputs equal to Keras’s on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each(EXACT)('%s', (name) => {
    const fixture = readFixtureFile(join(FIXTURE_DIR, `${name}.json`));
    const fused = wasmKernelInfo().variant === 'relaxed-simd';
    const before = tf.memory().numTensors;
    const built = modelFromFixture(fixture);
    try {
      for (const testCase of fixture.cases) {
        tf.tidy(() => {
          const xs = caseInputs(built, testCase);
          const predicted = built.model.predict(xs.length === 1 ? xs[0] : xs);
          const outputs = Array.isArray(predicted) ? predicted : [predicted];
          testCase.outputs.forEach((expected, k) => {
            expect(outputs[k]).toBeAllClose(fixtureTensor(expected), fused ? 0 : testCase.atol, 0);
          });
        });
      }
    } finally {
      built.model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
