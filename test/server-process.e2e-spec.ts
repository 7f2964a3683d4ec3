import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from './support/http';
import { spawnServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';

const MAIN = join(__dirname, '..', 'dist', 'apps', 'server', 'src', 'main.js');

describe('server process (e2e, built dist)', () => {
  const temp = makeTempHome();
  afterAll(() => temp.remove());

  it('prints the token URL, token file and state dir, and restarts in place on request', async () => {
    const server = await spawnServer(temp.home);
    try {
      const token = readFileSync(join(temp.home, 'auth_token'), 'utf8').trim();
      expect(server.token).toBe(token);
      expect(server.output()).toContain(`token in ${join(temp.home, 'auth_token')} (mode 0600)`);
      expect(server.output()).toContain(`State:        ${temp.home}`);
      expect(server.output()).toMatch(/http:\/\/localhost:\d+\/\?token=/);

      const before = (await request(server.baseUrl, 'GET', '/api/health')).body.started_at;
      expect((await request(server.baseUrl, 'POST', '/api/server/restart', { token })).status).toBe(202);
      // Port 0 picks a new port on restart; the supervisor (same PID) prints a fresh banner.
      const newBase = await server.nextBanner();
      const after = (await request(newBase, 'GET', '/api/health')).body.started_at;
      expect(after > before).toBe(true);
      expect(server.process.exitCode).toBeNull();
      expect((await request(newBase, 'GET', '/api/server-config-path', { token })).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('refuses a non-loopback bind without --insecure, with a clear message and usage', () => {
    const result = spawnSync(process.execPath, [MAIN, '-H', '0.0.0.0', '--port', '0'], {
      env: { PATH: process.env.PATH, TRAINYARD_HOME: temp.home },
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('refusing to bind 0.0.0.0');
    expect(result.stderr).toContain('--insecure');
  });

  it('prints help', () => {
    const result = spawnSync(process.execPath, [MAIN, '--help'], { encoding: 'utf8', timeout: 15_000 });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('--fake-gpus N');
  });
});
