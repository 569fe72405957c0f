/**
 * `tfjs-keras-rnn summary` and `convert`, through the CLI's main without spawning: Keras's
 * summary of a file, conversions between .keras, legacy .h5 and tfjs folders with the same
 * predictions, and one line with exit code 1 for a bad file, 2 for bad arguments.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { main } from '../../src/cli';
import { loadKerasModel } from '../../src/keras/load_keras_model';
import { Sequential } from '../../src/models/sequential';
import { useTestBackend } from '../helpers/tensors';

const DIR = path.join(__dirname, '..', 'fixtures', 'keras_files');
let tmp = '';
let backend = '';

async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...argv, '--backend', backend], {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  return { code, out, err };
}

beforeAll(async () => {
  await useTestBackend();
  backend = tf.getBackend();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-model-files-'));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('summary', () => {
  it("prints Keras's summary of a .keras file, an .h5 file and a folder", async () => {
    const keras = await run('summary', path.join(DIR, 'embedding_bilstm.keras'));
    expect(keras.code).toBe(0);
    expect(keras.out[0]).toBe('Model: "embedding_bilstm"');
    expect(keras.out.join('\n')).toContain('│ bidirectional (Bidirectional)   │ (None, 6)');
    expect(keras.out).toContain(' Total params: 279 (1.09 KB)');
    const h5 = await run('summary', path.join(DIR, 'embedding_bilstm.h5'));
    expect(h5.out).toEqual(keras.out);
    const folder = path.join(tmp, 'folder');
    expect((await run('convert', path.join(DIR, 'embedding_bilstm.keras'), folder)).code).toBe(0);
    const fromFolder = await run('summary', folder);
    expect(fromFolder.out.slice(1)).toEqual(keras.out.slice(1));
  });
});

describe('convert', () => {
  it('.h5 -> .keras -> folder -> .keras, with the same predictions and the optimizer kept in .keras', async () => {
    const ref = JSON.parse(fs.readFileSync(path.join(DIR, 'compiled_lstm_adam.json'), 'utf8')) as {
      x: number[];
      y: number[];
      tolerance: number;
    };
    const keras = path.join(tmp, 'from_h5.keras');
    const folder = path.join(tmp, 'lstm_folder');
    const again = path.join(tmp, 'again.keras');
    const first = await run('convert', path.join(DIR, 'compiled_lstm_adam.h5'), keras);
    expect(first).toEqual({
      code: 0,
      out: [`Wrote ${keras} from ${path.join(DIR, 'compiled_lstm_adam.h5')}`],
      err: [],
    });
    expect((await run('convert', keras, folder)).code).toBe(0);
    expect((await run('convert', folder, again)).code).toBe(0);
    const x = tf.tensor(ref.x);
    for (const model of [
      await loadKerasModel(keras),
      await Sequential.load(folder),
      await loadKerasModel(again, { compile: false }),
    ]) {
      const y = model.predict(x, { verbose: 0 });
      expect(y).toBeAllClose(ref.y, ref.tolerance, 0);
      y.dispose();
      model.dispose();
    }
    const compiled = await loadKerasModel(keras);
    expect(compiled.compileState?.optimizerClass).toBe('Adam');
    compiled.dispose();
    x.dispose();
  });

  it('a bad file or target: one line naming it, exit code 1; bad arguments: usage, exit code 2', async () => {
    const missing = await run('summary', path.join(tmp, 'missing.keras'));
    expect(missing.code).toBe(1);
    expect(missing.err).toEqual([
      `tfjs-keras-rnn summary: loadKerasModel: no file '${path.join(tmp, 'missing.keras')}'. Check the path.`,
    ]);
    const notZip = path.join(tmp, 'not_a_zip.keras');
    fs.writeFileSync(notZip, 'hello');
    const bad = await run('convert', notZip, path.join(tmp, 'out.keras'));
    expect(bad.code).toBe(1);
    expect(bad.err).toHaveLength(1);
    expect(bad.err[0]).toMatch(/^tfjs-keras-rnn convert: .*not a Keras 3 \.keras file/);
    expect(fs.existsSync(path.join(tmp, 'out.keras'))).toBe(false);
    const toH5 = await run(
      'convert',
      path.join(DIR, 'simple_rnn_dense.keras'),
      path.join(tmp, 'o.h5'),
    );
    expect(toH5.code).toBe(1);
    expect(toH5.err[0]).toMatch(/writing legacy HDF5 model files .* not built/);
    const text = path.join(tmp, 'notes.txt');
    fs.writeFileSync(text, 'x');
    expect((await run('summary', text)).err).toEqual([
      `tfjs-keras-rnn summary: '${text}' is not a model file: expected a .keras or .h5 file, or a folder that save(dir) wrote.`,
    ]);
    const usage = await run('convert', path.join(DIR, 'simple_rnn_dense.keras'));
    expect(usage.code).toBe(2);
    expect(usage.err[0]).toBe(
      'tfjs-keras-rnn: convert: expected an input and an output, received 1 path(s).',
    );
    expect((await run('summary', 'a.keras', '--line')).err[0]).toBe(
      "tfjs-keras-rnn: summary: unknown option '--line'.",
    );
  });
});
