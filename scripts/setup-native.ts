/**
 * `npm run setup:native` in a checkout of this package: builds @tensorflow/tfjs-node's binding
 * against the libtensorflow inside the TensorFlow Python wheel (`-- --undo [--remove-cache]`
 * takes it away again). The command itself is src/native/command.ts, which the installed
 * package runs as `npx tfjs-keras-rnn setup-native`. See docs/native-backend.md.
 *
 * Exit status: 0 done (or nothing to do), 1 failed (one message says what is missing and how to
 * supply it), 2 bad arguments or environment variables.
 */
import * as path from 'node:path';
import { runSetupNative } from '../src/native/command';

process.exitCode = runSetupNative(process.argv.slice(2), path.resolve(__dirname, '..'), {
  out: (line) => {
    console.log(line);
  },
  err: (line) => {
    console.error(line);
  },
});
