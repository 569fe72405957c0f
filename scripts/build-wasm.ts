/**
 * `npm run build:wasm` (and the end of `npm run build`): compiles the recurrent kernels
 * (AssemblyScript in kernels-src/) to src/kernels/wasm/rnn_kernels.wasm (SIMD128) and
 * rnn_kernels_relaxed.wasm (with relaxed-SIMD fused multiply-adds, used where the runtime
 * validates it), and copies them to dist/kernels/wasm/, where the compiled loader looks.
 *
 * The .wasm files are committed beside their manifest (rnn_kernels.build.json: a hash of the
 * sources and the compiler flags), so tests and installs from git work without the compiler;
 * this script recompiles only when the sources or flags changed (or with --force), and then
 * needs AssemblyScript (the devDependency `assemblyscript`, or ASC=/path/to/asc.js).
 *
 *   tsx scripts/build-wasm.ts            compile when stale, then copy into dist/
 *   tsx scripts/build-wasm.ts --check    exit 1 when the committed .wasm is stale
 *   tsx scripts/build-wasm.ts --force    compile even when up to date
 *   tsx scripts/build-wasm.ts --no-copy  do not copy into dist/
 *
 * Exit status: 0 done, 1 stale (--check) or compile failed, 2 bad arguments.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const PROJECT_DIR = path.resolve(__dirname, '..');
export const SOURCE_DIR = path.join(PROJECT_DIR, 'kernels-src');
export const WASM_DIR = path.join(PROJECT_DIR, 'src', 'kernels', 'wasm');
export const DIST_WASM_DIR = path.join(PROJECT_DIR, 'dist', 'kernels', 'wasm');
export const MANIFEST_FILE = path.join(
  PROJECT_DIR,
  'src',
  'kernels',
  'wasm',
  'rnn_kernels.build.json',
);

/**
 * asc's flags. The memory is imported and shared (threads split a batch over one memory), the
 * runtime is the stub (the kernels never allocate: the JavaScript side owns every buffer), and
 * aborts are compiled out (the kernels have no checks to fail).
 */
export const ASC_FLAGS: readonly string[] = [
  '--enable',
  'simd',
  '--enable',
  'threads',
  '--importMemory',
  '--sharedMemory',
  '--initialMemory',
  '1',
  '--maximumMemory',
  '65536',
  '--runtime',
  'stub',
  '--noAssert',
  '--use',
  'abort=',
  '--optimizeLevel',
  '3',
  '--shrinkLevel',
  '0',
  '--converge',
  // v128 parameters of internal helpers: never exported to JavaScript.
  '--disableWarning',
  '112',
];

/** The builds: file name and the flags added to ASC_FLAGS. */
export const VARIANTS: readonly { file: string; flags: readonly string[] }[] = [
  { file: 'rnn_kernels.wasm', flags: [] },
  {
    file: 'rnn_kernels_relaxed.wasm',
    flags: ['--enable', 'relaxed-simd', '--use', 'RELAXED_SIMD=1'],
  },
];

function allFlags(): string[] {
  return VARIANTS.flatMap((v) => [v.file, ...ASC_FLAGS, ...v.flags]);
}

export interface Manifest {
  sourceHash: string;
  compiler: string;
  flags: string[];
}

/** sha256 over the kernel sources (names and contents, sorted by name) and the flags. */
export function kernelSourceHash(
  sourceDir: string = SOURCE_DIR,
  flags: readonly string[] = allFlags(),
): string {
  const hash = createHash('sha256');
  const names = fs
    .readdirSync(sourceDir)
    .filter((n) => n.endsWith('.ts'))
    .sort();
  for (const name of names) {
    hash.update(`${name}\0`);
    hash.update(fs.readFileSync(path.join(sourceDir, name)));
    hash.update('\0');
  }
  hash.update(flags.join(' '));
  return hash.digest('hex');
}

export function readManifest(file: string = MANIFEST_FILE): Manifest | undefined {
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
}

/** Why the committed .wasm does not match the sources, or undefined when it does. */
export function stalenessReason(): string | undefined {
  for (const { file } of VARIANTS) {
    const wasm = path.join(WASM_DIR, file);
    if (!fs.existsSync(wasm)) return `${path.relative(PROJECT_DIR, wasm)} is missing`;
  }
  const manifest = readManifest();
  if (manifest === undefined) return `${path.relative(PROJECT_DIR, MANIFEST_FILE)} is missing`;
  if (manifest.sourceHash !== kernelSourceHash()) {
    return 'kernels-src/ or the compiler flags changed since the .wasm files were built';
  }
  return undefined;
}

export function ascScript(): string {
  const fromEnv = process.env.ASC;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return path.join(PROJECT_DIR, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
}

function compile(log: (line: string) => void): void {
  const asc = ascScript();
  if (!fs.existsSync(asc)) {
    throw new Error(
      `build-wasm: the AssemblyScript compiler is needed to rebuild the kernels, and ${asc} does not exist. ` +
        'Install the devDependencies (npm install), or point ASC at asc.js.',
    );
  }
  const version = execFileSync(process.execPath, [asc, '--version'], { encoding: 'utf8' }).trim();
  log(`compiling kernels-src/ with ${version}`);
  for (const variant of VARIANTS) {
    const out = path.join(WASM_DIR, variant.file);
    const tmp = `${out}.tmp`;
    execFileSync(
      process.execPath,
      [asc, path.join(SOURCE_DIR, 'index.ts'), ...ASC_FLAGS, ...variant.flags, '--outFile', tmp],
      { stdio: 'inherit' },
    );
    fs.renameSync(tmp, out);
    log(`wrote ${path.relative(PROJECT_DIR, out)} (${fs.statSync(out).size} bytes)`);
  }
  const manifest: Manifest = {
    sourceHash: kernelSourceHash(),
    compiler: version,
    flags: [...ASC_FLAGS],
  };
  fs.writeFileSync(MANIFEST_FILE, `${JSON.stringify(manifest, null, 2)}\n`);
}

function main(argv: readonly string[]): number {
  const known = new Set(['--check', '--force', '--no-copy']);
  const unknown = argv.filter((a) => !known.has(a));
  if (unknown.length > 0) {
    console.error(
      `build-wasm: unknown argument ${JSON.stringify(unknown[0])}. Known: --check, --force, --no-copy.`,
    );
    return 2;
  }
  const log = (line: string): void => {
    console.log(`build-wasm: ${line}`);
  };
  const stale = stalenessReason();
  if (argv.includes('--check')) {
    if (stale === undefined) {
      log('the kernels are up to date');
      return 0;
    }
    console.error(`build-wasm: ${stale}; run npm run build:wasm and commit the result.`);
    return 1;
  }
  try {
    if (stale !== undefined || argv.includes('--force')) compile(log);
    else log('the kernels are up to date');
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return 1;
  }
  if (!argv.includes('--no-copy')) {
    fs.mkdirSync(DIST_WASM_DIR, { recursive: true });
    for (const { file } of VARIANTS) {
      fs.copyFileSync(path.join(WASM_DIR, file), path.join(DIST_WASM_DIR, file));
    }
    log(`copied to ${path.relative(PROJECT_DIR, DIST_WASM_DIR)}/`);
  }
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
