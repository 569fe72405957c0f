import { describe, expect, it } from '@jest/globals';
import { misplacedJumps, onBoundary, parseListing } from '../../scripts/jump_alignment';

const BASE = 0x7f0000001000;

/**
 * A --print-wasm-code listing of one TurboFan function whose instructions follow each other
 * from BASE: [length in bytes, text], where a text may jump to `@name`, the address of the
 * instruction labelled `name:`.
 */
function listing(index: number, code: readonly [number, string][]): string {
  const labels = new Map<string, number>();
  let at = BASE;
  for (const [bytes, text] of code) {
    const label = /^(\w+):/.exec(text);
    if (label !== null) labels.set(label[1], at);
    at += bytes;
  }
  at = BASE;
  const lines = code.map(([bytes, text]) => {
    const body = text
      .replace(/^\w+:\s*/, '')
      .replace(/@(\w+)/, (_, name: string) => `0x${(labels.get(name) ?? 0).toString(16)}`);
    const line = `0x${at.toString(16)}  ${(at - BASE).toString(16)}  ${'c5'.repeat(bytes)}  ${body}`;
    at += bytes;
    return line;
  });
  return [
    '--- WebAssembly code ---',
    `name: wasm-function[${index}]`,
    `index: ${index}`,
    'kind: wasm function',
    'compiler: TurboFan',
    ...lines,
  ].join('\n');
}

const FMA: [number, string] = [5, 'vfmadd231ps xmm1,xmm2,xmm3'];

/** Padding to the 64-byte loop header, 8 multiply-adds, then `tail` and the back jump. */
function loop(tail: [number, string][]): [number, string][] {
  return [
    [16, 'nop'],
    [48, 'nop'],
    [6, 'top: vmovdqu xmm1,[r12+rsi*1]'],
    ...Array.from({ length: 8 }, () => FMA),
    ...tail,
    [5, 'jmp @top'],
  ];
}

describe('onBoundary', () => {
  it('flags bytes that cross a 32-byte boundary or end at one', () => {
    expect(onBoundary(0x1d, 0x26)).toBe(true);
    expect(onBoundary(0x1b, 0x20)).toBe(true);
    expect(onBoundary(0x20, 0x29)).toBe(false);
    expect(onBoundary(0x00, 0x1f)).toBe(false);
  });
});

describe('parseListing', () => {
  it('reads the TurboFan functions, their index and instructions', () => {
    const text = `${listing(3, loop([]))}\n--- WebAssembly code ---\nindex: 4\ncompiler: Liftoff\n0x10  0  c3  ret`;
    const fns = parseListing(text);
    expect(fns.map((f) => f.index)).toEqual([3]);
    const first = fns[0]?.instructions[0];
    expect(first).toEqual({ address: BASE, bytes: 16, text: 'nop' });
    expect(fns[0]?.instructions.at(-1)?.text).toBe(`jmp 0x${(BASE + 64).toString(16)}`);
  });
});

describe('misplacedJumps', () => {
  // The loop header is at offset 0x40; 6 + 8 * 5 = 46 bytes bring the tail to 0x6e.
  it('reports a compare and jump that cross a boundary together', () => {
    const tail: [number, string][] = [
      [15, 'nop'],
      [3, 'cmpl rcx,rbx'],
      [6, 'jnc @top'],
    ];
    const fn = parseListing(listing(7, loop(tail)))[0];
    // cmpl at 0x7d..0x80 and jnc at 0x80..0x86: the fused pair crosses 0x80.
    expect(misplacedJumps(fn, 8)).toEqual([
      {
        functionIndex: 7,
        loopStart: 0x40,
        loopEnd: 0x80,
        multiplies: 8,
        offset: 0x80,
        text: `jnc 0x${(BASE + 0x40).toString(16)}`,
      },
    ]);
  });

  it('does not fuse a jump with an instruction that cannot fuse', () => {
    const tail: [number, string][] = [
      [15, 'nop'],
      [3, 'movl rcx,rbx'],
      [6, 'jnc @top'],
    ];
    const fn = parseListing(listing(7, loop(tail)))[0];
    // jnc alone at 0x80..0x86 and jmp at 0x86..0x8b: inside one block.
    expect(misplacedJumps(fn, 8)).toEqual([]);
  });

  it('reports nothing when the pair sits inside one block', () => {
    const fn = parseListing(
      listing(
        7,
        loop([
          [18, 'nop'],
          [3, 'cmpl rcx,rbx'],
          [6, 'jnc @top'],
        ]),
      ),
    )[0];
    // nop to 0x80, cmpl 0x80..0x83, jnc 0x83..0x89, jmp 0x89..0x8e.
    expect(misplacedJumps(fn, 8)).toEqual([]);
  });

  it('reports a jump that ends at a boundary', () => {
    const fn = parseListing(listing(2, loop([[13, 'nop']])))[0];
    // nop to 0x7b, then the back jump 0x7b..0x80.
    expect(misplacedJumps(fn, 8).map((j) => j.offset)).toEqual([0x7b]);
  });

  it('skips loops with fewer vector multiplies than asked for', () => {
    const tail: [number, string][] = [
      [15, 'nop'],
      [3, 'cmpl rcx,rbx'],
      [6, 'jnc @top'],
    ];
    const fn = parseListing(listing(7, loop(tail)))[0];
    expect(misplacedJumps(fn, 9)).toEqual([]);
  });

  it('skips an outer loop whose body holds an inner loop header', () => {
    const code: [number, string][] = [
      [64, 'nop'],
      [3, 'outer: addl rax,0x1'],
      ...loop([]).slice(2),
      // The outer loop's jump back, 0x9d..0xa6 across 0xa0: the inner loop runs between its
      // passes. (Inner header 0x43, its jump back at 0x71..0x76.)
      [39, 'nop'],
      [3, 'cmpl rax,rbx'],
      [6, 'jl @outer'],
    ];
    const fn = parseListing(listing(1, code))[0];
    expect(misplacedJumps(fn, 8)).toEqual([]);
    // The same jump is found once the inner loop is gone (its back jump made a plain nop).
    const flat = code.map(([n, t]): [number, string] => (t === 'jmp @top' ? [n, 'nop'] : [n, t]));
    const outerOnly = parseListing(listing(1, flat))[0];
    expect(misplacedJumps(outerOnly, 8).map((j) => j.offset)).toEqual([0xa0]);
  });
});
