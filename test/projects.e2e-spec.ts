import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jobsApi } from './support/api';
import { type ProjectTree, ProjectsFixture, allProjects, writeFiles } from './support/projects';
import { waitFor } from './support/wait';

const MANIFEST = `name: Echo project
description: Echoes its params.
default_config: echo
configs:
  - name: echo
    file: configs/echo.yaml
    job_type: command
    gpus: 0
    argv: [/bin/echo, "lr={lr}", "opt={optimizer}"]
    params:
      - {name: lr, type: number, default: 0.001, help: Learning rate}
      - {name: optimizer, type: string, default: adam, choices: [adam, sgd]}
  - name: train
    script: train.py
    params: [{name: steps, type: integer, default: 10}]
`;

/**
 * Project discovery, detail, artifacts, overrides and runs on a real fixture tree under /tmp, through
 * the real app (real SQLite file, real port, real child processes).
 */
describe('projects API (e2e, real server, real directories)', () => {
  const fixture = new ProjectsFixture('ty-projects-');
  const { root, outside, call } = fixture;
  const home = join(fixture.work, 'state');
  const byPath = (path: string) => fixture.projectAt(path);

  beforeAll(async () => {
    writeFiles(root, {
      'echo/trainyard.yaml': MANIFEST,
      'echo/configs/echo.yaml': 'lr: 0.001\n',
      'echo/README.md': '# Echo\n\nPrints things.\n\n![plot](img/plot.png) ![remote](https://x.test/a.png)\n',
      'echo/img/plot.png': 'png',
      'broken/trainyard.yaml': 'configs:\n  - name: x\n    job_type: command\n',
      // A Forgather workspace with a nested workspace; each holds a project.
      'ws/forgather_workspace/workspace.yaml': 'name: Outer WS\ndescription: The outer one\n',
      'ws/README.md': '# Not used\n',
      'ws/proj_a/meta.yaml': '-- set ns.config_prefix = "configs"\n-- set ns.default_config = "b.yaml"\n',
      'ws/proj_a/README.md': '# Project A\n\nFirst paragraph\nof A.\n\nSecond.\n',
      'ws/proj_a/configs/a.yaml': 'x: 1\n',
      'ws/proj_a/configs/b.yaml': 'x: 2\n',
      'ws/proj_a/configs/sub/c.yml': 'x: 3\n',
      'ws/inner/forgather_workspace/README.md': '',
      'ws/inner/README.md': '# Inner WS\n\nNested workspace.\n',
      'ws/inner/proj_b/meta.yaml': 'name: B\n',
      'ws/inner/proj_b/configs/t.yaml': '',
      // Pruned and hidden: never discovered.
      '.hidden/p/trainyard.yaml': MANIFEST,
      'node_modules/p/trainyard.yaml': MANIFEST,
      'echo/output_models/p/trainyard.yaml': MANIFEST,
      '__pycache__/p/meta.yaml': '',
    });
    mkdirSync(join(outside, 'stolen'), { recursive: true });
    writeFileSync(join(outside, 'stolen', 'trainyard.yaml'), MANIFEST);
    symlinkSync(outside, join(root, 'link-out'));
    symlinkSync(root, join(root, 'ws', 'loop'));
    mkdirSync(home);
    await fixture.start({ home });
  });
  afterAll(() => fixture.close());

  it('discovers both manifest kinds, clusters nested workspaces, skips pruned dirs and never follows links', async () => {
    const answer = await call('GET', '/api/projects');
    expect(answer.status).toBe(200);
    const tree = answer.body as ProjectTree;
    expect(tree.roots.map((r) => r.path)).toEqual([root]);
    const [r] = tree.roots;
    expect(r.projects.map((p) => p.path)).toEqual([join(root, 'broken'), join(root, 'echo')]);
    expect(r.workspaces).toHaveLength(1);
    const outer = r.workspaces[0];
    expect(outer).toMatchObject({ path: join(root, 'ws'), name: 'Outer WS', description: 'The outer one' });
    expect(outer.projects.map((p) => [p.name, p.description])).toEqual([
      ['Project A', 'First paragraph of A.'],
    ]);
    expect(outer.workspaces).toHaveLength(1);
    expect(outer.workspaces[0]).toMatchObject({ name: 'Inner WS', description: 'Nested workspace.' });
    expect(outer.workspaces[0].projects.map((p) => [p.kind, p.name])).toEqual([['forgather', 'B']]);
    // Pruned, hidden, behind a link out of the root or through a loop: none of them.
    const paths = allProjects(tree).map((p) => p.path);
    expect(paths).toHaveLength(4);
    expect(paths.some((p) => p.includes('link-out') || p.includes('loop') || p.startsWith(outside))).toBe(
      false,
    );

    const a = outer.projects[0];
    expect(a.configs.map((c) => c.name)).toEqual(['a.yaml', 'b.yaml', 'sub/c.yml']);
    expect(a.default_config).toBe('b.yaml');
    const echo = r.projects[1];
    expect(echo).toMatchObject({ kind: 'trainyard', name: 'Echo project', default_config: 'echo' });
    expect(echo.configs.map((c) => [c.name, c.job_type, c.file])).toEqual([
      ['echo', 'command', join(root, 'echo', 'configs', 'echo.yaml')],
      ['train', 'training', null],
    ]);
    expect(echo.configs[0].output_dir).toBe(join(root, 'echo', 'output_models', 'echo'));
    // A broken manifest is listed with the field that is wrong.
    expect(r.projects[0].error).toMatch(/configs\[0\]\.argv.*required/);
  });

  it('answers a project with its README source, images through the asset endpoint, and 404 for an unknown id', async () => {
    const echo = (await byPath(join(root, 'echo')))!;
    const answer = await call('GET', `/api/projects/${echo.id}`);
    expect(answer.status).toBe(200);
    expect(answer.body.readme).toContain('# Echo');
    expect(answer.body.images).toEqual([
      {
        src: 'img/plot.png',
        url: `/api/fs/asset?base=${encodeURIComponent(join(root, 'echo'))}&asset=img%2Fplot.png`,
      },
    ]);
    const image = await call('GET', answer.body.images[0].url);
    expect([image.status, image.text]).toEqual([200, 'png']);
    const missing = await call('GET', '/api/projects/0123456789abcdef');
    expect([missing.status, missing.body.details[0].field]).toEqual([404, 'id']);
    const noConfig = await call('GET', `/api/projects/${echo.id}/configs/nope/artifacts`);
    expect([noConfig.status, noConfig.body.details[0].field]).toEqual([404, 'config']);
  });

  it('lists checkpoints (trainer_state, index.json, names), runs with logs and eval results; deletes through the guards', async () => {
    const echo = (await byPath(join(root, 'echo')))!;
    const out = join(root, 'echo', 'output_models', 'echo');
    const write = (rel: string, text: string) => {
      mkdirSync(join(out, rel, '..'), { recursive: true });
      writeFileSync(join(out, rel), text);
    };
    write(
      'checkpoints/checkpoint-500/trainer_state.json',
      JSON.stringify({ global_step: 512, world_size: 4 }),
    );
    write('checkpoints/checkpoint-500/model.safetensors', 'x'.repeat(100));
    write(
      'checkpoints/checkpoint-1000/model.safetensors.index.json',
      JSON.stringify({ metadata: { world_size: 2 } }),
    );
    write('checkpoint-1500/rng_state_0.pth', '');
    write('checkpoint-1500/rng_state_7.pth', '');
    write('runs/run_1/trainer_logs.json', '[]');
    write('runs/run_1/tty.log', 'hello');
    write('evaluations/c4.json', JSON.stringify({ results: { c4: { loss: 2.5, ppl: 12.2 } }, model: 'm' }));

    const answer = await call('GET', `/api/projects/${echo.id}/configs/echo/artifacts`);
    expect(answer.status).toBe(200);
    expect(answer.body.exists).toBe(true);
    expect(answer.body.checkpoints.map((c: Record<string, unknown>) => [c.step, c.world_size])).toEqual([
      [1500, 8],
      [1000, 2],
      [512, 4],
    ]);
    expect(answer.body.checkpoints[2].size_bytes).toBe(
      100 + JSON.stringify({ global_step: 512, world_size: 4 }).length,
    );
    expect(answer.body.checkpoints[1].index_file).toBe(
      join(out, 'checkpoints/checkpoint-1000/model.safetensors.index.json'),
    );
    expect(answer.body.runs[0]).toMatchObject({ name: 'run_1' });
    expect(answer.body.runs[0].logs.map((l: { name: string }) => l.name)).toEqual([
      'trainer_logs.json',
      'tty.log',
    ]);
    expect(answer.body.evaluations[0].results).toEqual([
      { metric: 'results.c4.loss', value: 2.5 },
      { metric: 'results.c4.ppl', value: 12.2 },
      { metric: 'model', value: 'm' },
    ]);

    const del = (path: string, confirmed?: boolean) =>
      call('POST', `/api/projects/${echo.id}/configs/echo/artifacts/delete`, { path, confirmed });
    expect((await del(join(out, 'checkpoint-1500'))).status).toBe(400); // not confirmed
    const outsideOut = await del(join(root, 'echo', 'configs'), true);
    expect([outsideOut.status, outsideOut.body.details[0].field]).toEqual([403, 'path']);
    expect((await del(join(out, 'checkpoint-1500'), true)).status).toBe(200);
    expect((await del(join(out, 'evaluations', 'c4.json'), true)).status).toBe(200);
    const after = (await call('GET', `/api/projects/${echo.id}/configs/echo/artifacts`)).body;
    expect([after.checkpoints.length, after.evaluations.length]).toEqual([2, 0]);
  });

  it('runs a config with an override applied (cwd = project) and remembers it across a restart', async () => {
    const echo = (await byPath(join(root, 'echo')))!;
    const bad = await call('POST', `/api/projects/${echo.id}/configs/echo/run`, {
      overrides: { optimizer: 'adamw' },
    });
    expect([bad.status, bad.body.details[0].field]).toEqual([400, 'overrides.optimizer']);
    const unknown = await call('POST', `/api/projects/${echo.id}/configs/echo/run`, {
      overrides: { nope: 1 },
    });
    expect([unknown.status, unknown.body.details[0].field]).toEqual([400, 'overrides.nope']);
    const wrongType = await call('POST', `/api/projects/${echo.id}/configs/echo/run`, {
      overrides: { lr: 'fast' },
    });
    expect([wrongType.status, wrongType.body.details[0].field]).toEqual([400, 'overrides.lr']);

    const run = await call('POST', `/api/projects/${echo.id}/configs/echo/run`, { overrides: { lr: 0.5 } });
    expect(run.status).toBe(201);
    expect(run.body).toMatchObject({
      job_type: 'command',
      cwd: join(root, 'echo'),
      job_params: { argv: ['/bin/echo', 'lr=0.5', 'opt=adam'] },
    });
    const api = jobsApi(fixture.server.baseUrl, fixture.server.token);
    await api.waitStatus(run.body.queue_id, ['done']);
    expect(await api.log(run.body.queue_id)).toContain('lr=0.5 opt=adam');
    // The job's run is filed under its project, so the project's runs list finds it.
    const runs = await call('GET', `/api/runs?project=${encodeURIComponent(echo.name)}`);
    expect(runs.body.map((r: { job_id: string }) => r.job_id)).toContain(run.body.queue_id);

    const query = `/api/config/overrides?project_dir=${encodeURIComponent(echo.path)}&config=echo`;
    expect((await call('GET', query)).body.values).toEqual({ lr: 0.5 });
    // Put back to its default: run with it, and forgotten, not remembered as an override.
    const back = await call('POST', `/api/projects/${echo.id}/configs/echo/run`, {
      overrides: { lr: 0.001 },
    });
    expect(back.body.job_params.argv).toEqual(['/bin/echo', 'lr=0.001', 'opt=adam']);
    expect((await call('GET', query)).body.values).toEqual({});
    await api.waitStatus(back.body.queue_id, ['done']);
    const set = await call('POST', '/api/config/overrides', {
      project_dir: echo.path,
      config: 'echo',
      values: { optimizer: 'sgd' },
    });
    expect(set.status).toBe(200);
    const badSet = await call('POST', '/api/config/overrides', {
      project_dir: echo.path,
      config: 'echo',
      values: { lr: true },
    });
    expect([badSet.status, badSet.body.details[0].field]).toEqual([400, 'values.lr']);

    await fixture.restart();
    const kept = await call('GET', query);
    expect(kept.body).toMatchObject({ values: { optimizer: 'sgd' }, updated_at: expect.any(String) });
    // The remembered value is applied when the run does not override it.
    const again = await call('POST', `/api/projects/${echo.id}/configs/echo/run`, {});
    expect(again.body.job_params.argv).toEqual(['/bin/echo', 'lr=0.001', 'opt=sgd']);
    const journal = await call('GET', '/api/journal?limit=200');
    const types = (journal.body.items as Array<{ type: string }>).map((e) => e.type);
    expect(types).toContain('projects.config_overrides_set.v1');

    expect((await call('DELETE', query)).status).toBe(200);
    expect((await call('GET', query)).body).toEqual({
      project_dir: echo.path,
      config: 'echo',
      values: {},
      updated_at: null,
    });
    const notProject = await call(
      'GET',
      `/api/config/overrides?project_dir=${encodeURIComponent(root)}&config=echo`,
    );
    expect([notProject.status, notProject.body.details[0].field]).toEqual([404, 'project_dir']);
    const relative = await call('GET', '/api/config/overrides?project_dir=echo&config=echo');
    expect([relative.status, relative.body.details[0].field]).toEqual([400, 'project_dir']);
  });

  it('sees a project added on disk (watch, then POST refresh), creates projects and configs from templates', async () => {
    const late = join(root, 'late');
    mkdirSync(late);
    writeFileSync(join(late, 'trainyard.yaml'), 'name: Late\nconfigs: []\n');
    await waitFor(
      async () => (await byPath(late)) !== undefined,
      'the watcher to pick up the new project',
      5000,
    );
    const later = join(root, 'ws', 'inner', 'later');
    mkdirSync(later);
    writeFileSync(join(later, 'meta.yaml'), '');
    const refreshed = (await call('POST', '/api/projects/refresh')).body as ProjectTree;
    expect(allProjects(refreshed).some((p) => p.path === later)).toBe(true);

    const created = await call('POST', '/api/projects', { parent: root, dir_name: 'fresh', name: 'Fresh' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Fresh', kind: 'trainyard', default_config: 'train' });
    const copy = await call('POST', `/api/projects/${created.body.id}/configs`, { name: 'train2' });
    expect(copy.status).toBe(201);
    expect(copy.body).toMatchObject({
      name: 'train2',
      job_type: 'command',
      file: join(root, 'fresh/configs/train2.yaml'),
    });
    expect(readFileSync(join(root, 'fresh', 'trainyard.yaml'), 'utf8')).toMatch(/name: train2/);
    const taken = await call('POST', `/api/projects/${created.body.id}/configs`, { name: 'train2' });
    expect([taken.status, taken.body.details[0].field]).toEqual([409, 'name']);
    const again = await call('POST', '/api/projects', { parent: root, dir_name: 'fresh' });
    expect(again.status).toBe(409);
    const outsideRoot = await call('POST', '/api/projects', { parent: outside, dir_name: 'x' });
    expect([outsideRoot.status, outsideRoot.body.details[0].field]).toEqual([403, 'parent']);
    const badName = await call('POST', '/api/projects', { parent: root, dir_name: '../x' });
    expect([badName.status, badName.body.details[0].field]).toEqual([400, 'dir_name']);

    const a = (await byPath(join(root, 'ws', 'proj_a')))!;
    const fcopy = await call('POST', `/api/projects/${a.id}/configs`, { name: 'd', from: 'a.yaml' });
    expect([fcopy.status, fcopy.body.name]).toEqual([201, 'd.yaml']);
    expect(readFileSync(join(root, 'ws/proj_a/configs/d.yaml'), 'utf8')).toBe('x: 1\n');
  });

  it('never reads a project file through a link out of the root: README, trainyard.yaml, Forgather meta', async () => {
    writeFileSync(join(outside, 'README.md'), '# Secret project\n\nTop secret readme\n');
    writeFileSync(join(outside, 'meta.yaml'), 'name: Secret meta\n');
    const readmeLinked = join(root, 'readme-linked');
    mkdirSync(readmeLinked);
    writeFileSync(join(readmeLinked, 'trainyard.yaml'), 'configs: []\n');
    symlinkSync(join(outside, 'README.md'), join(readmeLinked, 'README.md'));
    const manifestLinked = join(root, 'manifest-linked');
    mkdirSync(manifestLinked);
    symlinkSync(join(outside, 'stolen', 'trainyard.yaml'), join(manifestLinked, 'trainyard.yaml'));
    const metaLinked = join(root, 'ws', 'meta-linked');
    mkdirSync(metaLinked);
    symlinkSync(join(outside, 'meta.yaml'), join(metaLinked, 'meta.yaml'));
    const tree = (await call('POST', '/api/projects/refresh')).body as ProjectTree;
    // Neither the linked README's title nor the linked meta.yaml's name names a project.
    expect(JSON.stringify(tree)).not.toContain('Secret');
    expect(allProjects(tree).find((p) => p.path === manifestLinked)?.name).not.toBe('Echo project');
    const linked = (await byPath(readmeLinked))!;
    expect(linked.name).toBe('readme-linked');
    const detail = await call('GET', `/api/projects/${linked.id}`);
    expect([detail.status, detail.body.readme]).toEqual([200, null]);
  });
});
