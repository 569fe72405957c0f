import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { gatedCaseNumbers } from '../../helpers/gated_case';
import {
  compileKernelModule,
  relaxedSimdValidates,
  wasmFilePath,
} from '../../../src/kernels/wasm/module';
import {
  THREADS_ENV_VAR,
  getThreads,
  setThreads,
  SIMD_ENV_VAR,
  wasmKernelAvailable,
  wasmKernelInfo,
  wasmKernelUnavailableReason,
} from '../../../src/kernels/wasm';

const PROJECT_DIR = path.resolve(__dirname, '..', '..', '..');

describe('wasm kernel runtime', () => {
  const saved = process.env[THREADS_ENV_VAR];
  afterEach(() => {
    if (saved === undefined) delete process.env.TFJS_KERAS_RNN_THREADS;
    else process.env[THREADS_ENV_VAR] = saved;
    setThreads(undefined);
  });

  it('is available, with no reason against it', () => {
    expect(wasmKernelAvailable()).toBe(true);
    expect(wasmKernelUnavailableReason()).toBeUndefined();
    expect(wasmFilePath()).toBe(
      path.join(PROJECT_DIR, 'src', 'kernels', 'wasm', 'rnn_kernels.wasm'),
    );
  });

  it('runs the SIMD128 build, or the relaxed-SIMD one where the runtime validates it', () => {
    const { variant, threads } = wasmKernelInfo();
    const wanted = process.env[SIMD_ENV_VAR];
    if (wanted === 'relaxed') expect(variant).toBe('relaxed-simd');
    else if (wanted === 'plain') expect(variant).toBe('simd');
    else expect(variant).toBe(relaxedSimdValidates() ? 'relaxed-simd' : 'simd');
    expect(threads).toBe(getThreads());
  });

  it('says which file is missing and how to build it', () => {
    expect(() => compileKernelModule('/nonexistent/rnn_kernels.wasm')).toThrow(
      /wasm kernels: \/nonexistent\/rnn_kernels.wasm does not exist. Build it with `npm run build`/,
    );
  });

  it('says when a file is not a module this runtime can compile', () => {
    const file = path.join(os.tmpdir(), `not-wasm-${process.pid}.wasm`);
    fs.writeFileSync(file, 'not wasm');
    try {
      expect(() => compileKernelModule(file)).toThrow(
        /does not compile on this runtime \(it needs WebAssembly SIMD128 and threads\)/,
      );
    } finally {
      fs.rmSync(file);
    }
  });

  it('uses every available core by default, the environment variable, then setThreads', () => {
    delete process.env.TFJS_KERAS_RNN_THREADS;
    expect(getThreads()).toBe(os.availableParallelism());
    process.env[THREADS_ENV_VAR] = '3';
    expect(getThreads()).toBe(3);
    setThreads(1);
    expect(getThreads()).toBe(1);
    setThreads(undefined);
    expect(getThreads()).toBe(3);
  });

  it.each(['0', '-1', '1.5', 'two', '2x'])('rejects %j threads from the environment', (value) => {
    process.env[THREADS_ENV_VAR] = value;
    expect(() => getThreads()).toThrow(
      new RegExp(
        `the environment variable TFJS_KERAS_RNN_THREADS: expected a positive integer number of threads, received "${value.replace('.', '\\.')}"`,
      ),
    );
  });

  it.each([0, -2, 1.5, Number.NaN])('rejects setThreads(%p)', (n) => {
    expect(() => {
      setThreads(n);
    }).toThrow(/setThreads: expected a positive integer number of threads, received/);
  });

  /** Runs `lines` (TypeScript) in a new Node process from the project's directory. */
  function runScript(lines: string[], env: Record<string, string> = {}) {
    const script = path.join(os.tmpdir(), `wasm-kernels-${process.pid}-${Date.now()}.ts`);
    fs.writeFileSync(script, lines.join('\n'));
    try {
      return spawnSync(process.execPath, ['--import', 'tsx', script], {
        cwd: PROJECT_DIR,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, ...env },
      });
    } finally {
      fs.rmSync(script);
    }
  }

  const tfjs = JSON.stringify(require.resolve('@tensorflow/tfjs', { paths: [PROJECT_DIR] }));
  const kernels = JSON.stringify(path.join(PROJECT_DIR, 'src', 'kernels', 'wasm'));

  it('does not keep a finished script alive after running on worker threads', () => {
    const child = runScript([
      `import * as tf from ${tfjs};`,
      `import { setThreads, wasmSimpleRnnRecurrence } from ${kernels};`,
      `void tf.setBackend('cpu').then(() => {`,
      `  setThreads(2);`,
      `  const out = wasmSimpleRnnRecurrence(tf.ones([20, 64, 100]), tf.zeros([100, 100]),`,
      `    tf.zeros([64, 100]), { activation: 'tanh', goBackwards: false, returnSequences: false });`,
      `  console.log('done', out.shape.join('x'));`,
      `});`,
    ]);
    // (stderr has tfjs's hint about tfjs-node.) A process kept alive would time out.
    expect(child.error).toBeUndefined();
    expect(child.stdout).toMatch(/^done 64x100$/m);
    expect(child.status).toBe(0);
  });

  it.each([
    ['relaxed', /^relaxed-simd$/m],
    ['plain', /^simd$/m],
    // Node 20 runs relaxed SIMD behind a V8 flag that the loader turns on; later Node by itself.
    ['auto', /^relaxed-simd$/m],
  ])('runs the build that TFJS_KERAS_RNN_SIMD=%s asks for', (choice, printed) => {
    const child = runScript(
      [`import { wasmKernelInfo } from ${kernels};`, `console.log(wasmKernelInfo().variant);`],
      { [SIMD_ENV_VAR]: choice },
    );
    expect(child.stdout).toMatch(printed);
    expect(child.status).toBe(0);
  });

  it('gives the same LSTM, GRU and SimpleRNN numbers in the SIMD128 build as in the relaxed one', async () => {
    const helper = JSON.stringify(path.join(PROJECT_DIR, '__tests__', 'helpers', 'gated_case'));
    const child = runScript(
      [
        `import * as tf from ${tfjs};`,
        `import { wasmKernelInfo } from ${kernels};`,
        `import { gatedCaseNumbers } from ${helper};`,
        `void tf.setBackend('cpu').then(() => {`,
        `  console.log(wasmKernelInfo().variant, JSON.stringify(gatedCaseNumbers()));`,
        `});`,
      ],
      { [SIMD_ENV_VAR]: 'plain' },
    );
    expect(child.status).toBe(0);
    const [variant, json] = child.stdout.trim().split(' ');
    expect(variant).toBe('simd');
    const plain = JSON.parse(json) as number[];
    await tf.setBackend('cpu');
    const ours = gatedCaseNumbers();
    expect(plain).toHaveLength(ours.length);
    // Fused multiply-adds round once where the SIMD128 build rounds twice.
    plain.forEach((v, i) => {
      expect(Math.abs(v - (ours[i] ?? Number.NaN))).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(v)));
    });
  });

  it('rejects an unknown TFJS_KERAS_RNN_SIMD', () => {
    const child = runScript(
      [
        `import { wasmKernelUnavailableReason } from ${kernels};`,
        `console.log(wasmKernelUnavailableReason());`,
      ],
      { [SIMD_ENV_VAR]: 'avx' },
    );
    expect(child.stdout).toMatch(
      /the environment variable TFJS_KERAS_RNN_SIMD: expected one of 'auto', 'relaxed', 'plain', received "avx"/,
    );
  });
});
