import { DEFAULT_SERVER_URL, loadServerConfig } from '@trainyard/core';
import { DEFAULT_SERVER_URL as CLI_DEFAULT_SERVER_URL } from '../../cli/src/context';
import { makeTempHome } from '../../../test/support/temp-home';
import { startupBanner } from './banner';

describe('startupBanner', () => {
  const temp = makeTempHome();
  afterAll(() => temp.remove());
  const config = () => loadServerConfig({ argv: ['--port', '0'], env: { TRAINYARD_HOME: temp.home } });

  it('says the first token login asks for a password only while none is set', () => {
    const before = startupBanner(config(), 8765, 'a'.repeat(64), false);
    expect(before).toContain('First token login in the browser asks you to set a password');
    const after = startupBanner(config(), 8765, 'a'.repeat(64), true);
    expect(after).not.toContain('asks you to set a password');
    expect(after).toContain('Browser sign-in: the console password');
  });

  it('tells the CLI where the server is when that is not its default', () => {
    const at = (argv: string[], port: number) =>
      startupBanner(loadServerConfig({ argv, env: { TRAINYARD_HOME: temp.home } }), port, 'a'.repeat(64));
    expect(at([], 18000)).toContain('CLI:          export TRAINYARD_SERVER_URL=http://127.0.0.1:18000');
    expect(at(['--host', '10.0.0.5', '--insecure'], 8765)).toContain(
      'export TRAINYARD_SERVER_URL=http://10.0.0.5:8765',
    );
    expect(at([], 8765)).not.toContain('TRAINYARD_SERVER_URL');
    // The CLI's own default is the one the banner compares with.
    expect(CLI_DEFAULT_SERVER_URL).toBe(DEFAULT_SERVER_URL);
  });

  it('after a restart says so, without the token in its links (printed once per start)', () => {
    const again = startupBanner(config(), 8765, 'a'.repeat(64), false, true);
    expect(again).toContain('Trainyard restarted, running at:\n    http://127.0.0.1:8765/\n');
    expect(again).not.toContain('a'.repeat(64));
    expect(again).toContain(`token in ${config().paths.authToken} (mode 0600)`);
    expect(again).not.toMatch(/password/i);
  });

  it('puts warnings before the links, and says how auth was turned off as the operator did it', () => {
    const load = (argv: string[], env: Record<string, string> = {}) =>
      loadServerConfig({ argv: ['--port', '0', ...argv], env: { TRAINYARD_HOME: temp.home, ...env } });
    const warned = { ...config(), warnings: ['unknown key args.prot; did you mean port?'] };
    const text = startupBanner(warned, 8765, 'a'.repeat(64));
    // Before: last, after the links and the sign-in lines (`| head` cut it off).
    expect(text.indexOf('warning: unknown key args.prot')).toBeLessThan(text.indexOf('running at:'));
    expect(startupBanner(load(['--no-auth']), 8765, null)).toContain('DISABLED (--no-auth)');
    // Before: "(--no-auth)" whatever turned it off.
    expect(startupBanner(load([], { TRAINYARD_NO_AUTH: '1' }), 8765, null)).toContain(
      'DISABLED (TRAINYARD_NO_AUTH)',
    );
  });

  it('says nothing about browser passwords with auth off', () => {
    expect(startupBanner(config(), 8765, null, false)).not.toMatch(/password/i);
  });
});
