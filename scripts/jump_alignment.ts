/**
 * Finds the jumps in the kernels' hot loops that sit on a 32-byte boundary of x64 code, from
 * the machine code that V8 prints with --print-wasm-code.
 *
 * Why: Skylake-derived Intel cores (Cascade Lake, as on this project's benchmark machine)
 * carry a microcode fix for the "JCC erratum" that keeps no decoded micro-ops for a 32-byte
 * block of code holding a jump that crosses or ends at the block's end (a compare fused with
 * the jump counts as one). A loop with such a jump is decoded again on every pass through the
 * legacy decoders; the kernels' 4 x 8 tile ran 14-18% slower for one jump of V8's loop stack
 * check on a boundary. V8 aligns loop headers to 64 bytes, so where a loop's jumps fall depends
 * on the loop's own instructions, and a small change to its source can move them.
 */

/** One instruction of V8's listing: its address, length in bytes and text. */
export interface Instruction {
  address: number;
  bytes: number;
  text: string;
}

/** A function that TurboFan compiled, with its wasm function index. */
export interface CompiledFunction {
  index: number;
  instructions: Instruction[];
}

/** A jump on a boundary, in a loop of at least `minMultiplies` vector multiplies. */
export interface MisplacedJump {
  functionIndex: number;
  /** The loop: the offsets in its function of its first and last instruction. */
  loopStart: number;
  loopEnd: number;
  /** Vector multiplies and multiply-adds in the loop's body. */
  multiplies: number;
  /** The jump's offset in its function, and its text. */
  offset: number;
  text: string;
}

const BOUNDARY = 32;
/** Loops longer than this many instructions are outer loops, not the hot ones. */
const MAX_LOOP_INSTRUCTIONS = 120;
/** Instructions that x64 cores fuse with a conditional jump that follows them. */
const FUSING = /^(cmp|test|add|sub|and|inc|dec)[a-z]*$/;
/** Vector multiplies: what a hot loop of the kernels is made of. */
const MULTIPLY = /^v(fmadd\d+ps|mulps)$/;

/** The TurboFan-compiled functions of a --print-wasm-code listing. */
export function parseListing(listing: string): CompiledFunction[] {
  const functions: CompiledFunction[] = [];
  for (const block of listing.split('--- WebAssembly code ---')) {
    if (!/^compiler: TurboFan$/m.test(block)) continue;
    const index = /^index: (\d+)$/m.exec(block);
    if (index === null) continue;
    const instructions: Instruction[] = [];
    for (const line of block.split('\n')) {
      // "0x2d28b969664     0  55                   push rbp"
      const m = /^\s*0x([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+(\S.*)$/.exec(line);
      if (m === null) continue;
      const [, address, bytes, text] = m;
      instructions.push({
        address: parseInt(address, 16),
        bytes: bytes.length / 2,
        text: text.trim(),
      });
    }
    functions.push({ index: Number(index[1]), instructions });
  }
  return functions;
}

/** The mnemonic, without V8's REX.W prefix. */
function mnemonic(text: string): string {
  const [first, second = ''] = text.split(/\s+/);
  return first === 'REX.W' ? second : first;
}

/** Whether the bytes [start, end) cross a 32-byte boundary or end at one. */
export function onBoundary(start: number, end: number): boolean {
  return Math.floor(start / BOUNDARY) !== Math.floor((end - 1) / BOUNDARY) || end % BOUNDARY === 0;
}

/**
 * The jumps on a boundary in every innermost loop of at least `minMultiplies` vector
 * multiplies: a loop is the code from a backward jump's target to the jump, and innermost
 * when no other loop's header is inside it.
 */
export function misplacedJumps(fn: CompiledFunction, minMultiplies: number): MisplacedJump[] {
  const ins = fn.instructions;
  if (ins.length === 0) return [];
  const start = ins[0].address;
  const at = new Map(ins.map((x, i) => [x.address, i]));
  const loops: [number, number][] = [];
  ins.forEach((x, i) => {
    if (!mnemonic(x.text).startsWith('j')) return;
    const target = /0x([0-9a-f]+)/.exec(x.text);
    const first = target === null ? undefined : at.get(parseInt(target[1], 16));
    if (first !== undefined && first <= i && i - first < MAX_LOOP_INSTRUCTIONS) {
      loops.push([first, i]);
    }
  });
  // Only innermost loops: one that holds another loop's header runs its own code once per
  // pass of the inner loop (V8 places an inner loop's exit as a jump back to the outer one).
  const headers = loops.map(([first]) => first);
  const innermost = loops.filter(([first, last]) => !headers.some((h) => h > first && h <= last));
  // Smallest first: a jump is reported once, with the smallest loop that holds it.
  innermost.sort((a, b) => a[1] - a[0] - (b[1] - b[0]));
  const reported = new Set<number>();
  const found: MisplacedJump[] = [];
  for (const [first, last] of innermost) {
    const body = ins.slice(first, last + 1);
    const multiplies = body.filter((x) => MULTIPLY.test(mnemonic(x.text))).length;
    if (multiplies < minMultiplies) continue;
    for (let i = first; i <= last; i++) {
      const jump = ins[i];
      if (!mnemonic(jump.text).startsWith('j') || reported.has(i)) continue;
      const before = ins[i - 1];
      const fused = i > first && FUSING.test(mnemonic(before.text));
      const from = fused ? before.address : jump.address;
      if (!onBoundary(from, jump.address + jump.bytes)) continue;
      reported.add(i);
      found.push({
        functionIndex: fn.index,
        loopStart: ins[first].address - start,
        loopEnd: ins[last].address - start,
        multiplies,
        offset: jump.address - start,
        text: jump.text,
      });
    }
  }
  return found;
}
