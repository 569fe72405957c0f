/**
 * The recurrent kernels' WebAssembly module (AssemblyScript, SIMD128). Pure functions of
 * memory: every buffer is allocated by the JavaScript side (src/kernels/wasm/memory.ts) in one
 * imported, possibly shared, memory; nothing here allocates. LSTM and GRU kernels go beside
 * simple_rnn.ts and reuse tiles.ts and activations.ts.
 */
export { simpleRnnForward, simpleRnnBackward, simpleRnnKernelGrad } from './simple_rnn';
export { packRows, unpackRows, transposePacked, activateArray, heapBase } from './util';
