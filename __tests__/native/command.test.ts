/**
 * The setup:native command as `tfjs-keras-rnn setup-native` runs it: which project it works in,
 * its help and its usage errors (the build itself is CI's `setup:native` step).
 */
import * as path from 'node:path';
import { main } from '../../src/cli';
import { ownPackageDir, projectDirOf, runSetupNative } from '../../src/native/command';

function capture(): {
  io: { out: (l: string) => void; err: (l: string) => void };
  out: string[];
  err: string[];
} {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
    },
    out,
    err,
  };
}

describe('setup-native', () => {
  it.each([
    ['an install', '/home/me/app/node_modules/tfjs-keras-rnn', '/home/me/app'],
    ['a scoped install', '/home/me/app/node_modules/@me/tfjs-keras-rnn', '/home/me/app'],
    ['a checkout', '/work/tfjs-keras-rnn', '/work/tfjs-keras-rnn'],
  ])('works in the project of %s', (_what, packageDir, project) => {
    expect(projectDirOf(packageDir)).toBe(project);
  });

  it("finds this package's own folder from its sources", () => {
    expect(ownPackageDir(path.join(__dirname, '..', '..', 'src', 'native'))).toBe(
      path.resolve(__dirname, '..', '..'),
    );
  });

  it('prints its usage with --help, from the command line too', async () => {
    const direct = capture();
    expect(runSetupNative(['--help'], '/nowhere', direct.io)).toBe(0);
    expect(direct.out.join('\n')).toMatch(/^Usage: npx tfjs-keras-rnn setup-native \[--undo/);
    const cli = capture();
    await expect(main(['setup-native', '--help'], cli.io)).resolves.toBe(0);
    expect(cli.out).toEqual(direct.out);
  });

  it('refuses an unknown flag with exit status 2, touching nothing', () => {
    const { io, err } = capture();
    expect(runSetupNative(['--force'], '/nowhere', io)).toBe(2);
    expect(err.join('\n')).toMatch(/^setup:native failed: unknown argument "--force"\./);
  });

  it('names itself in the CLI usage', async () => {
    const { io, out } = capture();
    await expect(main(['--help'], io)).resolves.toBe(0);
    expect(out.join('\n')).toMatch(/setup-native \[--undo \[--remove-cache\]\]/);
  });
});
