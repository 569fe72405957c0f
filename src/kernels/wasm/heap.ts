/**
 * The kernels' memory: one `WasmMemory` (shared, so that worker threads can work on it
 * too) whose buffers are allocated and freed here, in JavaScript. The kernels themselves never
 * allocate. First fit over a free list kept sorted by address, neighbours merged on free, the
 * memory grown when nothing fits. Blocks are 64-byte aligned (a cache line; f32x4 loads need 16).
 */

import type { WasmMemory } from './module';

const PAGE_BYTES = 65536;
const ALIGN = 64;
/** WebAssembly 32-bit memories end at 4 GiB (65536 pages), the maximum the module declares. */
export const MAX_MEMORY_PAGES = 65536;

interface FreeBlock {
  offset: number;
  size: number;
}

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

export interface HeapStats {
  /** Bytes of the memory itself (it grows, never shrinks). */
  memoryBytes: number;
  /** Bytes in blocks allocated and not freed. */
  bytesInUse: number;
  /** Blocks allocated and not freed. */
  blocksInUse: number;
}

export class WasmHeap {
  readonly memory: WasmMemory;
  private readonly base: number;
  /** First byte past the highest block ever handed out (free blocks below it are listed). */
  private top: number;
  private readonly freeList: FreeBlock[] = [];
  private readonly sizes = new Map<number, number>();
  private bytesInUse = 0;
  private view: Float32Array;

  /** `base`: the first byte the heap may use (past the module's static data). */
  constructor(memory: WasmMemory, base: number) {
    this.memory = memory;
    this.base = alignUp(base);
    this.top = this.base;
    this.view = new Float32Array(memory.buffer);
  }

  /** A float32 view of the whole memory, renewed after the memory grew. */
  get f32(): Float32Array {
    const buffer = this.memory.buffer;
    if (this.view.buffer !== buffer || this.view.byteLength !== buffer.byteLength) {
      this.view = new Float32Array(buffer);
    }
    return this.view;
  }

  /** A byte offset of `bytes` (> 0) fresh bytes, 64-byte aligned; contents undefined. */
  alloc(bytes: number): number {
    const size = alignUp(Math.max(bytes, 1));
    for (let i = 0; i < this.freeList.length; i++) {
      const block = this.freeList[i];
      if (block.size < size) continue;
      const offset = block.offset;
      if (block.size === size) this.freeList.splice(i, 1);
      else {
        block.offset += size;
        block.size -= size;
      }
      return this.record(offset, size);
    }
    const offset = this.top;
    this.ensure(offset + size);
    this.top = offset + size;
    return this.record(offset, size);
  }

  /** Returns a block from `alloc` to the heap. */
  free(offset: number): void {
    const size = this.sizes.get(offset);
    if (size === undefined) {
      throw new Error(`WasmHeap.free: ${offset} is not an allocated block`);
    }
    this.sizes.delete(offset);
    this.bytesInUse -= size;
    const list = this.freeList;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].offset < offset) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, { offset, size });
    // Merge with the following block, then the preceding one.
    if (lo + 1 < list.length && list[lo].offset + list[lo].size === list[lo + 1].offset) {
      list[lo].size += list[lo + 1].size;
      list.splice(lo + 1, 1);
    }
    if (lo > 0 && list[lo - 1].offset + list[lo - 1].size === list[lo].offset) {
      list[lo - 1].size += list[lo].size;
      list.splice(lo, 1);
    }
    // A free block at the top goes back to the unused region.
    const last = list.length - 1;
    if (last >= 0 && list[last].offset + list[last].size === this.top) {
      this.top = list[last].offset;
      list.pop();
    }
  }

  stats(): HeapStats {
    return {
      memoryBytes: this.memory.buffer.byteLength,
      bytesInUse: this.bytesInUse,
      blocksInUse: this.sizes.size,
    };
  }

  private record(offset: number, size: number): number {
    this.sizes.set(offset, size);
    this.bytesInUse += size;
    return offset;
  }

  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE_BYTES);
    if (have / PAGE_BYTES + pages > MAX_MEMORY_PAGES) {
      throw new RangeError(
        `wasm kernels: need ${end} bytes of WebAssembly memory, more than its 4 GiB limit. ` +
          'Use smaller batches or shorter sequences.',
      );
    }
    this.memory.grow(pages);
  }
}
