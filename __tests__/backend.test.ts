import { BACKEND_ENV_VAR, backendName, useBackend } from '../src/backend';

describe('useBackend', () => {
  const saved = process.env[BACKEND_ENV_VAR];
  afterEach(() => {
    if (saved === undefined) delete process.env.TFJS_BACKEND;
    else process.env[BACKEND_ENV_VAR] = saved;
  });

  it.each(['wasm', 'cpu'])('selects %s and reports it', async (name) => {
    await expect(useBackend(name)).resolves.toBe(name);
    expect(backendName()).toBe(name);
  });

  it('auto honours TFJS_BACKEND', async () => {
    process.env[BACKEND_ENV_VAR] = 'cpu';
    await expect(useBackend('auto')).resolves.toBe('cpu');
    await expect(useBackend()).resolves.toBe('cpu');
  });

  it('auto never throws: it falls back to wasm with one warning line', async () => {
    delete process.env.TFJS_BACKEND;
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const name = await useBackend('auto');
    await useBackend('auto');
    expect(['tensorflow', 'wasm']).toContain(name);
    expect(backendName()).toBe(name);
    if (name === 'wasm') {
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toMatch(
        /^tfjs-keras-rnn: @tensorflow\/tfjs-node (is not installed|did not load .*); using wasm\. `npx tfjs-keras-rnn setup-native` builds it\.$/,
      );
    } else {
      expect(warn).not.toHaveBeenCalled();
    }
    warn.mockRestore();
  });

  it.each([
    ['webgl', 'the argument'],
    ['WASM', 'the argument'],
  ])('refuses the unknown name %s, listing the known ones', async (name, source) => {
    await expect(useBackend(name)).rejects.toThrow(
      new RegExp(
        `unknown backend "${name}" \\(from ${source}\\)\\. Known backends: 'auto', 'tensorflow', 'wasm', 'cpu'`,
      ),
    );
  });

  it('refuses an unknown name in TFJS_BACKEND, naming the variable', async () => {
    process.env[BACKEND_ENV_VAR] = 'gpu';
    await expect(useBackend('auto')).rejects.toThrow(
      /unknown backend "gpu" \(from the environment variable TFJS_BACKEND\)/,
    );
  });
});
