/**
 * The recurrent kernels' WebAssembly module (AssemblyScript, SIMD128). Pure functions of
 * memory: every buffer is allocated by the JavaScript side (src/kernels/wasm/heap.ts) in one
 * imported, shared memory; nothing here allocates. lstm.ts and gru.ts reuse simple_rnn.ts's
 * projection and input gradients, tiles.ts and activations.ts. adam.ts is the optimizer's update for
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
export { lstmForward, lstmBackward } from './lstm';
export { gruForward, gruBackward } from './gru';
export { gateInputGrad, gateKernelGrad, maskSteps, projectColumns } from './gates';
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
