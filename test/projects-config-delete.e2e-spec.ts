import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Project, ProjectsFixture, writeFiles } from './support/projects';

const MANIFEST = `# Team project: keep this comment.
name: Deletable
default_config: first
configs:
  # The baseline.
  - name: first
    file: configs/first.yaml
    job_type: command
    argv: [/bin/echo, "{lr}"]
    params: [{name: lr, type: number, default: 0.1}]
  - name: second
    file: configs/second.yaml # inline comment stays
    job_type: command
    argv: [/bin/echo, two]
  - name: twin
    file: configs/second.yaml
    job_type: command
    argv: [/bin/echo, twin]
  - name: escape
    file: evil/x.yaml
    job_type: command
    argv: [/bin/echo, evil]
output_dir: output_models/{config}
`;

/**
 * Deleting a config from a project (POST /api/projects/{id}/configs/{config}/delete) on a real
 * directory tree through the real app: the manifest keeps its other entries and comments, files are
 * checked against the search roots after resolving real paths, overrides are forgotten (journaled).
 */
describe('deleting a project config (e2e, real server, real directories)', () => {
  const fixture = new ProjectsFixture('ty-config-delete-');
  const { root, outside, call } = fixture;
  const projectAt = async (path: string): Promise<Project> => (await fixture.projectAt(path))!;
  const del = (project: Project, config: string, body: unknown) =>
    call('POST', `/api/projects/${project.id}/configs/${encodeURIComponent(config)}/delete`, body);

  beforeAll(async () => {
    writeFiles(root, {
      'proj/trainyard.yaml': MANIFEST,
      'proj/configs/first.yaml': 'lr: 0.1\n',
      'proj/configs/second.yaml': 'x: 2\n',
      'fg/meta.yaml': 'name: FG\n',
      'fg/configs/a.yaml': 'x: 1\n',
      'fg/configs/b.yaml': 'x: 2\n',
    });
    mkdirSync(outside);
    writeFileSync(join(outside, 'x.yaml'), 'precious: true\n');
    // `escape`'s file goes through a link that leaves the search root.
    symlinkSync(outside, join(root, 'proj', 'evil'));
    await fixture.start();
  });
  afterAll(() => fixture.close());

  it('removes a trainyard.yaml entry and its file, keeps the rest of the manifest, forgets its overrides', async () => {
    const manifestPath = join(root, 'proj', 'trainyard.yaml');
    const proj = await projectAt(join(root, 'proj'));
    expect(proj.configs.map((c) => c.name)).toEqual(['first', 'second', 'twin', 'escape']);
    const remember = await call('POST', '/api/config/overrides', {
      project_dir: proj.path,
      config: 'first',
      values: { lr: 0.5 },
    });
    expect(remember.status).toBe(200);

    const unconfirmed = await del(proj, 'first', {});
    expect([unconfirmed.status, unconfirmed.body.details[0].field]).toEqual([400, 'confirmed']);
    expect(existsSync(join(root, 'proj/configs/first.yaml'))).toBe(true);

    const deleted = await del(proj, 'first', { confirmed: true });
    expect([deleted.status, deleted.body]).toEqual([
      200,
      {
        config: 'first',
        manifest: manifestPath,
        deleted_file: join(root, 'proj/configs/first.yaml'),
        overrides_cleared: true,
      },
    ]);
    expect(existsSync(join(root, 'proj/configs/first.yaml'))).toBe(false);
    const text = readFileSync(manifestPath, 'utf8');
    expect(text).toContain('# Team project: keep this comment.');
    expect(text).toContain('# inline comment stays');
    expect(text).not.toContain('name: first');
    // It still parses, and the default moved to a config that exists.
    expect(parse(text)).toMatchObject({ name: 'Deletable', default_config: 'second' });
    const after = await projectAt(proj.path);
    expect(after.error).toBeUndefined();
    expect(after.default_config).toBe('second');
    expect(after.configs.map((c) => c.name)).toEqual(['second', 'twin', 'escape']);
    const overrides = await call(
      'GET',
      `/api/config/overrides?project_dir=${encodeURIComponent(proj.path)}&config=second`,
    );
    expect(overrides.status).toBe(200);
    const journal = await call('GET', '/api/journal?limit=200');
    expect((journal.body.items as Array<{ type: string }>).map((e) => e.type)).toContain(
      'projects.config_overrides_cleared.v1',
    );

    // A file another config still uses is kept; keep_file keeps it too.
    const twin = await del(after, 'twin', { confirmed: true });
    expect([twin.status, twin.body.deleted_file]).toEqual([200, null]);
    expect(existsSync(join(root, 'proj/configs/second.yaml'))).toBe(true);
    const kept = await del(after, 'second', { confirmed: true, keep_file: true });
    expect([kept.status, kept.body.deleted_file]).toEqual([200, null]);
    expect(existsSync(join(root, 'proj/configs/second.yaml'))).toBe(true);
    expect((await projectAt(proj.path)).configs.map((c) => c.name)).toEqual(['escape']);
  });

  it('answers 404 for an unknown config and 403 for a file that resolves outside the search root', async () => {
    const proj = await projectAt(join(root, 'proj'));
    const unknown = await del(proj, 'nope', { confirmed: true });
    expect([unknown.status, unknown.body.details[0].field]).toEqual([404, 'config']);
    const before = readFileSync(join(root, 'proj', 'trainyard.yaml'), 'utf8');
    const escape = await del(proj, 'escape', { confirmed: true });
    expect([escape.status, escape.body.details[0].field]).toEqual([403, 'config']);
    // Refused before any change: the manifest and the outside file are untouched.
    expect(readFileSync(join(root, 'proj', 'trainyard.yaml'), 'utf8')).toBe(before);
    expect(readFileSync(join(outside, 'x.yaml'), 'utf8')).toBe('precious: true\n');
    // Removing only the entry touches nothing outside: allowed.
    const entryOnly = await del(proj, 'escape', { confirmed: true, keep_file: true });
    expect(entryOnly.status).toBe(200);
    expect((await projectAt(proj.path)).configs).toEqual([]);
    expect(parse(readFileSync(join(root, 'proj', 'trainyard.yaml'), 'utf8')).default_config).toBeUndefined();
  });

  it('deletes a Forgather config file', async () => {
    const fg = await projectAt(join(root, 'fg'));
    expect(fg.configs.map((c) => c.name)).toEqual(['a.yaml', 'b.yaml']);
    const deleted = await del(fg, 'a.yaml', { confirmed: true });
    expect([deleted.status, deleted.body]).toEqual([
      200,
      {
        config: 'a.yaml',
        manifest: null,
        deleted_file: join(root, 'fg/configs/a.yaml'),
        overrides_cleared: false,
      },
    ]);
    expect(existsSync(join(root, 'fg/configs/a.yaml'))).toBe(false);
    expect((await projectAt(fg.path)).configs.map((c) => c.name)).toEqual(['b.yaml']);
  });
});
