/**
 * The README's TypeScript snippets run as they are written, as a new user would paste them: each
 * `ts` block is type-checked against the package and run with `npx tsx`, in a folder of its own
 * (what it saves lands there). An option the package does not know fails both.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

/** The body of every ```ts block of `markdown`, in order. */
export function typescriptBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

interface RunResult {
  code: number | null;
  output: string;
}

function run(command: string, args: string[], cwd: string): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolvePromise({ code, output });
    });
  });
}

function expectSuccess(result: RunResult): void {
  if (result.code !== 0) {
    throw new Error(`exit code ${String(result.code)}\n${result.output.slice(-4000)}`);
  }
}

describe('README snippets', () => {
  const blocks = typescriptBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  // Inside the checkout (in the ignored out/), so that the snippets' imports resolve as the
  // examples' do: 'tfjs-keras-rnn' through tsconfig.json's paths.
  let snippetDir = '';
  let workDir = '';

  beforeAll(() => {
    mkdirSync(join(ROOT, 'out'), { recursive: true });
    snippetDir = mkdtempSync(join(ROOT, 'out', 'readme-snippets-'));
    blocks.forEach((code, i) => {
      writeFileSync(join(snippetDir, `snippet_${i}.mts`), code);
    });
    writeFileSync(
      join(snippetDir, 'tsconfig.json'),
      JSON.stringify({ extends: join(ROOT, 'tsconfig.json'), include: ['*.mts'] }),
    );
    workDir = mkdtempSync(join(tmpdir(), 'readme-snippets-'));
  });

  afterAll(() => {
    rmSync(snippetDir, { recursive: true, force: true });
    rmSync(workDir, { recursive: true, force: true });
  });

  it('finds the TypeScript blocks', () => {
    expect(typescriptBlocks('text\n```ts\nconst a = 1;\n```\n```sh\nls\n```\n')).toEqual([
      'const a = 1;\n',
    ]);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
  });

  it('type-check against the package', async () => {
    const result = await run('npx', ['tsc', '--noEmit', '-p', snippetDir], ROOT);
    expectSuccess(result);
  });

  it('each runs to the end', async () => {
    for (const [i] of blocks.entries()) {
      const cwd = join(workDir, `snippet_${i}`);
      mkdirSync(cwd);
      const file = join(snippetDir, `snippet_${i}.mts`);
      const result = await run(
        'npx',
        ['--prefix', ROOT, 'tsx', '--tsconfig', join(snippetDir, 'tsconfig.json'), file],
        cwd,
      );
      expectSuccess(result);
    }
  });
});

describe('the README as a user’s guide', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

  it('has at most 300 lines: depth and history go to docs/', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(300);
  });

  it('cites no commits (history goes to docs/performance.md)', () => {
    expect(readme.match(/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b/g)).toBeNull();
  });

  it('links only to files that exist', () => {
    const targets = [...readme.matchAll(/\]\(([^)#:]+)(#[^)]*)?\)/g)].map((m) => m[1]);
    expect(targets.length).toBeGreaterThan(0);
    expect(targets.filter((t) => !existsSync(join(ROOT, t)))).toEqual([]);
  });
});
