import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  deleteServiceEntry,
  servicesBlock,
  ServicesConfigFile,
  upsertServiceEntry,
} from './services-config-file';

const ORIGINAL = `# Trainyard server configuration.
args:
  port: 8765 # the API port

services:
  # my inference servers
  inference:
    llama: # the big one
      enabled: false # off for now
      model: /models/llama
      port: 8137
      extra_args: [--a] # flags
  tensorboard:
    runs:
      enabled: true
      logdir: /mnt/runs
# trailing note
`;

describe('server_config.yaml service edits (real file)', () => {
  let dir: string;
  let file: ServicesConfigFile;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'trainyard-services-'));
    file = new ServicesConfigFile(join(dir, 'server_config.yaml'));
    writeFileSync(file.path, ORIGINAL, { mode: 0o640 });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('changes a value in place, keeping every comment, the key order and the file mode', () => {
    file.update((t) =>
      upsertServiceEntry(t, 'inference', 'llama', {
        enabled: true,
        model: '/models/llama',
        port: 8137,
        extra_args: ['--a'],
      }),
    );
    const text = readFileSync(file.path, 'utf8');
    // The yaml library's only reformatting: a comment after a mapping's key moves to the line below,
    // and the document's closing comment gets a blank line before it.
    expect(text).toBe(
      ORIGINAL.replace('enabled: false # off for now', 'enabled: true # off for now')
        .replace('llama: # the big one\n', 'llama:\n      # the big one\n')
        .replace('\n# trailing note', '\n\n# trailing note'),
    );
    expect(statSync(file.path).mode & 0o777).toBe(0o640);
  });

  it('appends a new entry and a new type after the existing ones', () => {
    let text = upsertServiceEntry(ORIGINAL, 'inference', 'small', { enabled: true, model: '/m', port: 9000 });
    text = upsertServiceEntry(text, 'command', 'echo', { enabled: false, argv: ['sleep', '1'] });
    for (const comment of ORIGINAL.match(/#.*$/gm)!) expect(text).toContain(comment);
    const block = servicesBlock(text) as Record<string, Record<string, unknown>>;
    expect(Object.keys(block)).toEqual(['inference', 'tensorboard', 'command']);
    expect(Object.keys(block.inference)).toEqual(['llama', 'small']);
    expect(block.command.echo).toEqual({ enabled: false, argv: ['sleep', '1'] });
    expect(text.indexOf('llama:')).toBeLessThan(text.indexOf('small:'));
  });

  it('removes keys the new entry lacks and deletes an entry with its now-empty type', () => {
    let text = upsertServiceEntry(ORIGINAL, 'inference', 'llama', {
      enabled: false,
      model: '/models/llama',
      port: 8137,
    });
    expect(text).not.toContain('extra_args');
    expect(text).toContain('# the big one');
    text = deleteServiceEntry(text, 'tensorboard', 'runs');
    expect(servicesBlock(text)).toEqual({
      inference: { llama: { enabled: false, model: '/models/llama', port: 8137 } },
    });
    expect(text).toContain('# my inference servers');
    expect(text).toContain('# trailing note');
  });

  it('creates the services block in a file that has none, keeping what is there', () => {
    const bare = '# just args\nargs:\n  port: 8765 # p\n';
    const text = upsertServiceEntry(bare, 'command', 'a', { enabled: true, argv: ['x'] });
    expect(text.startsWith(bare)).toBe(true);
    expect(servicesBlock(text)).toEqual({ command: { a: { enabled: true, argv: ['x'] } } });
    expect(servicesBlock(upsertServiceEntry('services:\n', 'command', 'a', { argv: ['x'] }))).toEqual({
      command: { a: { argv: ['x'] } },
    });
  });

  it('refuses to edit a file that is not valid YAML, leaving it untouched', () => {
    writeFileSync(file.path, 'args: [\n');
    expect(() => file.update((t) => upsertServiceEntry(t, 'command', 'a', { argv: ['x'] }))).toThrow(
      /not valid YAML/,
    );
    expect(readFileSync(file.path, 'utf8')).toBe('args: [\n');
  });
});
