/**
 * The recurrent kernels' WebAssembly module (AssemblyScript, SIMD128). Pure functions of
 * memory: every buffer is allocated by the JavaScript side (src/kernels/wasm/heap.ts) in one
 * imported, shared memory; nothing here allocates. products.ts has what every layer's kernels
 * share (the projection, its input gradient, a weight's gradient), running_rows.ts the same over
 * the rows a step mask leaves running; simple_rnn.ts, lstm.ts and
 * gru.ts the recurrences; tiles.ts the products' tiles; adam.ts the optimizer's update for small
 * variables; dropout.ts draws Dropout masks.
 */
export { simpleRnnForward, simpleRnnBackward } from './simple_rnn';
export { project, projectInputGrad, weightGrad, maskSteps } from './products';
export { projectRunning, projectInputGradRunning, weightGradRunning } from './running_rows';
export { lstmForward, lstmBackward } from './lstm';
export { gruForward, gruBackward } from './gru';
export { gateInputGrad } from './gates';
export { adamStep, sumRowsPerId } from './adam';
export { fillDropoutMask } from './dropout';
export { packBufferBytes, setPackBuffer } from './tiles';
export {
  packRows,
  unpackRows,
  transposePacked,
  swapLeadingAxes,
  stepsToMerged,
  mergedToSteps,
  maskInputs,
  multiplySequenceMask,
  activateArray,
  heapBase,
} from './util';
