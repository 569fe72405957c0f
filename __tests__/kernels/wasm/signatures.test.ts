/**
 * The kernels' signature table (src/kernels/wasm/signatures.ts) against both sides: the
 * AssemblyScript source's exported functions (names, parameters in order, results) and the
 * compiled module's functions (parameter counts), and the loader's refusal of a module that
 * does not match it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  compileKernelModule,
  createKernelMemory,
  instantiateKernels,
  type WasmModule,
} from '../../../src/kernels/wasm/module';
import { KERNEL_NAMES, KERNEL_SIGNATURES } from '../../../src/kernels/wasm/signatures';

const SOURCE_DIR = path.resolve(__dirname, '..', '..', '..', 'kernels-src');

/** The names kernels-src/index.ts exports: the module's exports. */
function moduleExports(): string[] {
  const index = fs.readFileSync(path.join(SOURCE_DIR, 'index.ts'), 'utf8');
  return [...index.matchAll(/export \{([^}]*)\} from/g)].flatMap((m) =>
    m[1]
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
  );
}

/** Every `export function` of kernels-src/*.ts: its parameters' names and its result type. */
function sourceFunctions(): Map<string, { params: string[]; returns: string }> {
  const functions = new Map<string, { params: string[]; returns: string }>();
  for (const file of fs.readdirSync(SOURCE_DIR).filter((f) => f.endsWith('.ts'))) {
    const text = fs.readFileSync(path.join(SOURCE_DIR, file), 'utf8');
    for (const m of text.matchAll(/export function (\w+)\(([^)]*)\)\s*:\s*(\w+)/g)) {
      const params = m[2]
        .split(',')
        .map((p) => p.split(':')[0].trim())
        .filter((p) => p !== '');
      functions.set(m[1], { params, returns: m[3] });
    }
  }
  return functions;
}

describe('the kernels signature table', () => {
  const declared = sourceFunctions();

  it('lists exactly the module exports of kernels-src/index.ts', () => {
    expect([...moduleExports()].sort()).toEqual([...KERNEL_NAMES].sort());
  });

  it.each(KERNEL_NAMES)('%s: the AssemblyScript parameters, in order, and its result', (name) => {
    const source = declared.get(name);
    expect(source).toBeDefined();
    expect(source?.params).toEqual([...KERNEL_SIGNATURES[name].params]);
    const returns = KERNEL_SIGNATURES[name].returns;
    expect(returns === 'void' ? ['void'] : ['i32', 'usize']).toContain(source?.returns);
  });

  it('the compiled module takes as many arguments as the table says', () => {
    const exports = instantiateKernels(
      compileKernelModule(),
      createKernelMemory(),
    ) as unknown as Record<string, { length: number }>;
    for (const name of KERNEL_NAMES) {
      expect([name, exports[name].length]).toEqual([name, KERNEL_SIGNATURES[name].params.length]);
    }
  });

  it('the loader refuses a module whose export does not match the table, naming it', () => {
    // A module exporting packRows of 4 parameters where the table says 5: the real module
    // with one export's table entry changed is the same test.
    const entry = KERNEL_SIGNATURES.packRows as { params: readonly string[] };
    const saved = entry.params;
    entry.params = [...saved, 'extra'];
    try {
      const module: WasmModule = compileKernelModule();
      expect(() => instantiateKernels(module, createKernelMemory())).toThrow(
        /^wasm kernels: the module's packRows takes 5 arguments, src\/kernels\/wasm\/signatures\.ts says 6; rebuild it/,
      );
    } finally {
      entry.params = saved;
    }
  });
});
