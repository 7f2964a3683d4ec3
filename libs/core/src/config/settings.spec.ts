import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRepoRoot } from '../repo-root';
import { CONFIG_TEMPLATE } from './config-template';
import { loadServerConfig } from './server-config';
import {
  envNameOf,
  FLAGS,
  markdownTableRows,
  SETTING_KEYS,
  settingOf,
  SETTINGS_END,
  SETTINGS_START,
  settingsReadmeTable,
  USAGE,
  withSettingsTable,
} from './settings';

describe('SETTINGS', () => {
  it("matches README's server-flag table (run `npm run docs:settings` when this fails)", () => {
    const readme = readFileSync(join(findRepoRoot(), 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf(SETTINGS_START), readme.indexOf(SETTINGS_END));
    expect(section).not.toBe('');
    // Cells, not padding: prettier aligns the columns, and that must not count as drift.
    const inReadme = markdownTableRows(section);
    const generated = markdownTableRows(settingsReadmeTable());
    const row = generated.findIndex((cells, i) => JSON.stringify(cells) !== JSON.stringify(inReadme[i]));
    if (row >= 0 || inReadme.length !== generated.length) {
      throw new Error(
        "README.md's server-flag table differs from SETTINGS (libs/core/src/config/settings.ts), " +
          `first at ${JSON.stringify(generated[row] ?? inReadme[generated.length])}. ` +
          'Run `npm run docs:settings` to regenerate it.',
      );
    }
  });

  it('replaces only the text between the markers', () => {
    const sut = withSettingsTable(`intro\n${SETTINGS_START}\nstale\n${SETTINGS_END}\nrest\n`);
    expect(sut.startsWith(`intro\n${SETTINGS_START}\n`)).toBe(true);
    expect(sut.endsWith(`${SETTINGS_END}\nrest\n`)).toBe(true);
    expect(sut).not.toContain('stale');
    expect(sut).toContain('| `-p`, `--port PORT` |');
    expect(() => withSettingsTable('no markers')).toThrow(/settings:start/);
  });

  it.each([
    ['port', 'TRAINYARD_PORT', '--port'],
    ['kill_grace_seconds', 'TRAINYARD_KILL_GRACE_SECONDS', '--kill-grace'],
    ['log_cap_bytes', 'TRAINYARD_LOG_CAP_BYTES', '--log-cap'],
    ['nats_password', 'TRAINYARD_NATS_PASSWORD', undefined],
  ] as const)('derives %s: env %s, flag %s', (key, env, flag) => {
    expect(envNameOf(key)).toBe(env);
    expect(settingOf(key).flag).toBe(flag);
  });

  it('lists every flag in --help, within 100 columns, and never a secret-only setting as a flag', () => {
    for (const name of Object.keys(FLAGS)) expect(USAGE).toMatch(new RegExp(`(^|[ ,])${name}\\b`, 'm'));
    for (const line of USAGE.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    expect(Object.values(FLAGS).map((f) => f.key)).not.toContain('nats_password');
    expect(USAGE).toContain('TRAINYARD_NATS_PASSWORD');
  });

  it('writes a template whose uncommented args: examples load as they are (paths aside)', () => {
    const home = mkdtempSync(join(tmpdir(), 'ty-settings-'));
    try {
      // Path kinds name files that exist only on the reader's machine; every other example must load.
      const needsPath = (key: string) => ['file', 'dir', 'dirs'].includes(settingOf(key as never).kind);
      const lines = CONFIG_TEMPLATE.split('\n')
        .map((l) => /^ {2}# ([a-z_]+): /.exec(l))
        .filter((m): m is RegExpExecArray => m !== null);
      const keys = lines.map((m) => m[1]);
      expect(keys).toEqual(SETTING_KEYS.filter((k) => settingOf(k).example));
      const args = lines
        .filter((m) => !needsPath(m[1]))
        .map((m) => `  ${m.input.slice(4).replace(/\s+#.*$/, '')}`);
      writeFileSync(join(home, 'server_config.yaml'), `args:\n${args.join('\n')}\n`);
      const sut = loadServerConfig({ argv: [], env: { TRAINYARD_HOME: home } });
      expect(sut.warnings).toEqual([]);
      for (const key of SETTING_KEYS.filter((k) => !needsPath(k)))
        expect([key, sut.sources[key]]).toEqual([key, 'file']);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
