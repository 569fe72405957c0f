/**
 * `npm run check:jumps`: lists the jumps in the kernels' hot loops that V8 places on a 32-byte
 * boundary of x64 code, where Skylake-derived Intel cores decode the loop again on every pass
 * (see jump_alignment.ts). Compiles both builds with TurboFan in a child process of this same
 * Node, with --print-wasm-code, and reads the listing. What V8 emits depends on its version and
 * on the CPU's features, so this is a tool for changing the kernels' loops on a given machine,
 * not a test.
 *
 *   tsx scripts/check-jumps.ts                  loops of at least 8 vector multiplies
 *   tsx scripts/check-jumps.ts --min-multiplies 4
 *   tsx scripts/check-jumps.ts --dir DIR        the builds in DIR (default src/kernels/wasm)
 *
 * Exit status: 0 none found (or not x64), 1 some found, 2 bad arguments or no listing.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { VARIANTS, WASM_DIR } from './build-wasm';
import { misplacedJumps, parseListing } from './jump_alignment';

/** Instantiates a build and prints its exports' function indices (internal ones have none). */
const LOADER = `
const fs = require('node:fs');
const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
const module = new WebAssembly.Module(fs.readFileSync(process.argv[1]));
const exports = new WebAssembly.Instance(module, { env: { memory, abort() {} } }).exports;
for (const [name, f] of Object.entries(exports)) {
  if (typeof f === 'function') console.log('EXPORT ' + f.name + ' ' + name);
}
`;

const V8_FLAGS = [
  '--experimental-wasm-relaxed-simd',
  '--no-liftoff',
  '--no-wasm-lazy-compilation',
  '--print-wasm-code',
];

function main(argv: readonly string[]): number {
  let minMultiplies = 8;
  let dir = WASM_DIR;
  for (let i = 0; i < argv.length; i++) {
    const hasValue = i + 1 < argv.length;
    const value = hasValue ? argv[i + 1] : '';
    if (argv[i] === '--min-multiplies' && Number.isInteger(Number(value)) && Number(value) >= 1) {
      minMultiplies = Number(value);
      i++;
    } else if (argv[i] === '--dir' && hasValue) {
      dir = path.resolve(value);
      i++;
    } else {
      console.error(
        `check-jumps: unknown argument ${JSON.stringify(argv[i])}; known: --min-multiplies N (N >= 1), --dir DIR.`,
      );
      return 2;
    }
  }
  if (process.arch !== 'x64') {
    console.log(`check-jumps: the check is for x64 code; this is ${process.arch}.`);
    return 0;
  }
  let found = 0;
  for (const { file } of VARIANTS) {
    const listing = execFileSync(
      process.execPath,
      [...V8_FLAGS, '-e', LOADER, path.join(dir, file)],
      { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
    );
    const functions = parseListing(listing);
    if (functions.length === 0) {
      console.error(`check-jumps: no TurboFan code in V8's listing for ${file}.`);
      return 2;
    }
    const names = new Map<number, string>();
    for (const [, index, name] of listing.matchAll(/^EXPORT (\d+) (\S+)$/gm)) {
      names.set(Number(index), name);
    }
    const jumps = functions.flatMap((fn) => misplacedJumps(fn, minMultiplies));
    console.log(`${file}: ${jumps.length} jump(s) on a 32-byte boundary in hot loops`);
    for (const j of jumps) {
      const name = names.get(j.functionIndex) ?? `internal function ${j.functionIndex}`;
      const hex = (n: number): string => `0x${n.toString(16)}`;
      console.log(
        `  ${name}: loop ${hex(j.loopStart)}-${hex(j.loopEnd)} (${j.multiplies} vector multiplies): ${hex(j.offset)} ${j.text}`,
      );
    }
    found += jumps.length;
  }
  return found === 0 ? 0 : 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
