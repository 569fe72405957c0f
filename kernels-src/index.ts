/**
 * The recurrent kernels' WebAssembly module (AssemblyScript, SIMD128). Pure functions of
 * memory: every buffer is allocated by the JavaScript side (src/kernels/wasm/heap.ts) in one
 * imported, shared memory; nothing here allocates. LSTM and GRU kernels go beside
 * simple_rnn.ts and reuse tiles.ts and activations.ts. adam.ts is the optimizer's update for
 * small variables; dropout.ts draws Dropout masks.
 */
export {
  simpleRnnProject,
  simpleRnnForward,
  simpleRnnBackward,
  simpleRnnInputGrad,
  simpleRnnKernelGrad,
  simpleRnnInputKernelGrad,
} from './simple_rnn';
export { adamStep } from './adam';
export { fillDropoutMask } from './dropout';
export { packBufferBytes, setPackBuffer } from './tiles';
export {
  packRows,
  unpackRows,
  transposePacked,
  swapLeadingAxes,
  maskInputs,
  multiplySequenceMask,
  activateArray,
  heapBase,
} from './util';
