/** The CLI's shared argument parsing: paths, `--backend NAME` (or `--backend=NAME`), and `--`. */
import { BACKEND_CHOICES, type BackendChoice, parseBackendChoice } from './backend';
import { errorMessage } from './keras/keras_json';

/** A command's paths and backend, or why they could not be read. */
export type PathsAndBackend = { paths: string[]; backend: BackendChoice } | { error: string };

/** Reads `args` of `command`: paths (all after `--`), `--backend NAME`; anything else an error. */
export function parsePathsAndBackend(command: string, args: readonly string[]): PathsAndBackend {
  const paths: string[] = [];
  let backend = 'auto';
  for (let i = 0; i < args.length; i++) {
    const arg = args.at(i) ?? '';
    if (arg === '--backend' || arg.startsWith('--backend=')) {
      const value = arg === '--backend' ? args.at(++i) : arg.slice('--backend='.length);
      if (value === undefined || value === '') {
        return { error: `--backend needs a name: ${BACKEND_CHOICES.join(', ')}.` };
      }
      backend = value;
    } else if (arg === '--') {
      paths.push(...args.slice(i + 1));
      break;
    } else if (arg.startsWith('-') && arg !== '-') {
      return { error: `${command}: unknown option '${arg}'.` };
    } else {
      paths.push(arg);
    }
  }
  try {
    return { paths, backend: parseBackendChoice(backend, '--backend') };
  } catch (err) {
    return { error: errorMessage(err) };
  }
}
