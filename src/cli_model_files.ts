/**
 * The CLI's `summary` and `convert` commands: a model file (`.keras`, legacy `.h5`, or a folder
 * in tfjs's format) loaded, then summarized as Keras prints it or saved in another format. A
 * bad file or path is one line naming it, and exit code 1; never a stack trace.
 */
import * as fs from 'node:fs';
import { type BackendChoice, useBackend } from './backend';
import { parsePathsAndBackend } from './cli_args';
import { errorMessage } from './keras/keras_json';
import { loadKerasModel } from './keras/load_keras_model';
import { Sequential } from './models/sequential';

/** Where the CLI writes (see cli.ts). */
interface Output {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** A model file's kind, from its path. */
function kindOf(file: string): 'keras' | 'folder' | undefined {
  if (/\.(keras|h5|hdf5)$/.test(file)) return 'keras';
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) return 'folder';
  return undefined;
}

/** Loads a model from a `.keras` or `.h5` file or a tfjs-format folder. */
export async function loadModelFile(file: string): Promise<Sequential> {
  const kind = kindOf(file);
  if (kind === 'keras') return loadKerasModel(file);
  if (kind === 'folder') return Sequential.load(file);
  throw new Error(
    fs.existsSync(file)
      ? `'${file}' is not a model file: expected a .keras or .h5 file, or a folder that save(dir) wrote.`
      : `no file or folder '${file}'.`,
  );
}

/** Parsed `summary` / `convert` arguments. */
export interface ModelFileArgs {
  paths: string[];
  backend: BackendChoice;
}

/** `count` paths and `--backend NAME`; an error for anything else. */
export function parseModelFileArgs(
  command: string,
  args: readonly string[],
  count: number,
): ModelFileArgs | { error: string } {
  const parsed = parsePathsAndBackend(command, args);
  if ('error' in parsed || parsed.paths.length === count) return parsed;
  const expected = count === 1 ? 'one model file' : 'an input and an output';
  return { error: `${command}: expected ${expected}, received ${parsed.paths.length} path(s).` };
}

/** `summary <model>`: Keras's summary of the model in the file. */
export async function summaryCommand(parsed: ModelFileArgs, io: Output): Promise<number> {
  const [file] = parsed.paths;
  try {
    await useBackend(parsed.backend);
    const model = await loadModelFile(file);
    model.summary((line) => {
      io.out(line);
    });
    model.dispose();
    return 0;
  } catch (err) {
    io.err(`tfjs-keras-rnn summary: ${errorMessage(err)}`);
    return 1;
  }
}

/** `convert <in> <out>`: the model in `in` saved to `out` (`.keras`, or a tfjs folder). */
export async function convertCommand(parsed: ModelFileArgs, io: Output): Promise<number> {
  const [input, output] = parsed.paths;
  try {
    await useBackend(parsed.backend);
    const model = await loadModelFile(input);
    try {
      await model.save(output);
    } finally {
      model.dispose();
    }
    io.out(`Wrote ${output} from ${input}`);
    return 0;
  } catch (err) {
    io.err(`tfjs-keras-rnn convert: ${errorMessage(err)}`);
    return 1;
  }
}
