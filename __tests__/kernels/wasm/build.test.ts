import * as fs from 'node:fs';
import {
  ASC_FLAGS,
  MANIFEST_FILE,
  readManifest,
  stalenessReason,
} from '../../../scripts/build-wasm';

describe('the committed rnn_kernels.wasm', () => {
  it('was built from the kernel sources as they are (else: npm run build:wasm)', () => {
    expect(stalenessReason()).toBeUndefined();
  });

  it('has a manifest naming the compiler and the flags', () => {
    expect(fs.existsSync(MANIFEST_FILE)).toBe(true);
    const manifest = readManifest();
    expect(manifest?.compiler).toMatch(/^Version 0\.28\./);
    expect(manifest?.flags).toEqual(ASC_FLAGS);
  });
});
