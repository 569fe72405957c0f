/**
 * A user's own error, after `useBackend('wasm')`, is reported by Node as it would be without this
 * package: the user's message and stack, from the user's file, not rethrown from inside the wasm
 * backend's Emscripten glue (which printed its whole minified line first).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const PROJECT_DIR = path.resolve(__dirname, '..');
const BACKEND = JSON.stringify(path.join(PROJECT_DIR, 'src', 'backend'));

/** Runs `body` after `useBackend('wasm')` in a user's script (TypeScript, through tsx). */
function runUserScript(body: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'user-script-'));
  const script = path.join(dir, 'my_training.ts');
  fs.writeFileSync(
    script,
    [
      `import { useBackend } from ${BACKEND};`,
      `async function main(): Promise<void> {`,
      `  await useBackend('wasm');`,
      `  ${body}`,
      `}`,
      `void main();`,
    ].join('\n'),
  );
  try {
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], {
      cwd: PROJECT_DIR,
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { ...child, script };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("a user's error after useBackend('wasm')", () => {
  it.each([
    ['a thrown error', `setTimeout(() => { throw new Error('my own mistake'); }, 0);`],
    ['a rejected promise', `await Promise.reject(new Error('my own mistake'));`],
  ])('%s: the message and stack are the user’s, from the user’s file', (_what, body) => {
    const child = runUserScript(body);
    expect(child.status).not.toBe(0);
    const stderr = child.stderr;
    expect(stderr).toContain('Error: my own mistake');
    // The user's file is named; nothing from the wasm backend comes first, and no minified line.
    expect(stderr).toContain('my_training.ts');
    const beforeMessage = stderr.slice(0, stderr.indexOf('Error: my own mistake'));
    expect(beforeMessage).not.toContain('tf-backend-wasm');
    expect(stderr.length).toBeLessThan(4000);
  });
});
