#!/usr/bin/env node
/**
 * The `tfjs-keras-rnn` command. Subcommands:
 *
 *   compare <fixture.json>... [--backend NAME]   check this package against Keras fixtures
 *   summary <model> [--backend NAME]              Keras's summary of a model file
 *   convert <in> <out> [--backend NAME]           a model file saved in another format
 *   setup-native [--undo [--remove-cache]]        build the 'tensorflow' backend's binding
 *
 * This file only parses argv and prints; the work is in src/keras/compare.ts,
 * src/cli_model_files.ts and src/native/command.ts.
 */
import { BACKEND_CHOICES, type BackendChoice, useBackend } from './backend';
import { parsePathsAndBackend } from './cli_args';
import { convertCommand, parseModelFileArgs, summaryCommand } from './cli_model_files';
import { compareFiles, formatSummary } from './keras/compare';
import { errorMessage } from './keras/keras_json';
import { ownPackageDir, projectDirOf, runSetupNative } from './native/command';

const USAGE = `Usage: tfjs-keras-rnn <command> [options]

Commands:
  compare <fixture.json>... [--backend NAME]
      Rebuild each Keras reference fixture's model from its Keras JSON, load its weights, run
      every case and compare with Keras's outputs; replay its gradients and training sections.
      Prints PASS/FAIL per fixture, SKIP for sections that cannot be replayed, then
      "N passed, N failed". Exit 0 only when all pass.
      --backend NAME   ${BACKEND_CHOICES.join(' | ')} (default: auto)

  summary <model.keras | model.h5 | folder> [--backend NAME]
      Print Keras's model.summary() of a Keras file or a folder that save(dir) wrote.

  convert <in> <out> [--backend NAME]
      Load a model (.keras, legacy .h5, or a tfjs folder) and save it to <out>: a path ending in
      .keras writes Keras 3's file (Python's keras.models.load_model opens it), any other path a
      folder in tfjs's format. Compile arguments and optimizer state go along where both keep them.

  setup-native [--undo [--remove-cache]]
      Build @tensorflow/tfjs-node's binding against the libtensorflow inside the TensorFlow
      Python wheel, in the project that installed this package, so that useBackend('auto')
      picks the 'tensorflow' backend; --undo removes it. \`setup-native --help\` has the rest.

Exit codes: 0 all passed (or done), 1 a fixture failed (or a file could not be read or written,
or the setup failed), 2 usage error.`;

/** Where the CLI writes; replaced in tests. */
export interface CliOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

const consoleOutput: CliOutput = {
  out: (line) => {
    process.stdout.write(`${line}\n`);
  },
  err: (line) => {
    process.stderr.write(`${line}\n`);
  },
};

function usageError(io: CliOutput, message: string): number {
  io.err(`tfjs-keras-rnn: ${message}`);
  io.err('');
  io.err(USAGE);
  return 2;
}

/** `compare` arguments: the fixture files and the backend. */
export function parseCompareArgs(
  args: readonly string[],
): { files: string[]; backend: BackendChoice } | { error: string } {
  const parsed = parsePathsAndBackend('compare', args);
  if ('error' in parsed) return parsed;
  if (parsed.paths.length === 0) return { error: 'compare: no fixture files given.' };
  return { files: parsed.paths, backend: parsed.backend };
}

async function compareCommand(args: readonly string[], io: CliOutput): Promise<number> {
  const parsed = parseCompareArgs(args);
  if ('error' in parsed) return usageError(io, parsed.error);
  let backend: string;
  try {
    backend = await useBackend(parsed.backend);
  } catch (err) {
    io.err(`tfjs-keras-rnn compare: ${errorMessage(err)}`);
    return 2;
  }
  io.out(`Comparing ${parsed.files.length} fixture(s) on the ${backend} backend`);
  const summary = await compareFiles(parsed.files, {
    onResult: (_result, lines) => {
      for (const line of lines) io.out(line);
    },
  });
  io.out(formatSummary(summary));
  return summary.failed === 0 ? 0 : 1;
}

/** Runs the command line `argv` (without `node` and the script); resolves to the exit code. */
export async function main(
  argv: readonly string[],
  io: CliOutput = consoleOutput,
): Promise<number> {
  const command = argv.at(0);
  const rest = argv.slice(1);
  if (command === undefined) return usageError(io, 'no command given.');
  if (command === '--help' || command === '-h' || command === 'help') {
    io.out(USAGE);
    return 0;
  }
  if (command === 'compare') return compareCommand(rest, io);
  if (command === 'summary' || command === 'convert') {
    const parsed = parseModelFileArgs(command, rest, command === 'summary' ? 1 : 2);
    if ('error' in parsed) return usageError(io, parsed.error);
    return command === 'summary' ? summaryCommand(parsed, io) : convertCommand(parsed, io);
  }
  if (command === 'setup-native') {
    return runSetupNative(rest, projectDirOf(ownPackageDir()), io);
  }
  return usageError(io, `unknown command '${command}'.`);
}

if (require.main === module) {
  // A reader that stops early (`summary m.keras | head`) closes the pipe: stop quietly, as
  // command-line tools do, rather than print the write error's stack.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(
        `tfjs-keras-rnn: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
