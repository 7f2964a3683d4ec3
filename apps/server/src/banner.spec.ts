import { loadServerConfig } from '@trainyard/core';
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

  it('says nothing about browser passwords with auth off', () => {
    expect(startupBanner(config(), 8765, null, false)).not.toMatch(/password/i);
  });
});
