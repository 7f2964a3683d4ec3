import type { ConfigDto, ParamSpecDto, ProjectSummaryDto, ProjectTreeDto } from '@trainyard/sdk';
import { ancestorKeys, buildRows, configKey } from './project-tree';
import { initialValues, toOverrides } from './run-form';

const config = (name: string): ConfigDto => ({
  name,
  file: `/r/ws/p/configs/${name}.yaml`,
  job_type: 'command',
  params: [],
  output_dir: `/r/ws/p/out/${name}`,
});
const project: ProjectSummaryDto = {
  id: 'abc',
  kind: 'trainyard',
  path: '/r/ws/p',
  root: '/r',
  name: 'P',
  description: '',
  default_config: 'train',
  configs: [config('train'), config('eval')],
};
const tree: ProjectTreeDto = {
  scanned_at: '2026-01-01T00:00:00Z',
  roots: [
    {
      path: '/r',
      truncated: false,
      projects: [],
      workspaces: [
        {
          path: '/r/ws',
          name: 'WS',
          description: '',
          projects: [],
          workspaces: [
            { path: '/r/ws/inner', name: 'Inner', description: '', workspaces: [], projects: [project] },
          ],
        },
      ],
    },
    { path: '/empty', truncated: false, projects: [], workspaces: [] },
  ],
};

describe('buildRows', () => {
  it('lists only the roots until something opens', () => {
    const rows = buildRows(tree, new Set(), new Map());
    expect(rows.map((r) => [r.kind, r.label, r.level])).toEqual([
      ['root', '/r', 1],
      ['root', '/empty', 1],
    ]);
  });

  it('nests workspaces, projects, configs and a config’s artifacts by level', () => {
    const open = new Set([
      'root:/r',
      'workspace:/r/ws',
      'workspace:/r/ws/inner',
      'project:abc',
      configKey(project, 'train'),
      'root:/empty',
    ]);
    const artifacts = new Map([
      [
        configKey(project, 'train'),
        {
          loading: false as const,
          data: {
            output_dir: '/r/ws/p/out/train',
            exists: true,
            runs: [{ name: 'r1', path: '/r/ws/p/out/train/runs/r1', modified_at: '', logs: [] }],
            checkpoints: [
              {
                name: 'checkpoint-5',
                path: '/x/c5',
                step: 5,
                size_bytes: 1,
                saved_at: '',
                world_size: null,
                index_file: null,
              },
            ],
            evaluations: [],
          },
        },
      ],
    ]);
    const rows = buildRows(tree, open, artifacts);
    expect(
      rows.map((r) => `${'  '.repeat(r.level - 1)}${r.kind}:${r.label}${r.detail ? ` (${r.detail})` : ''}`),
    ).toEqual([
      'root:/r',
      '  workspace:WS (workspace)',
      '    workspace:Inner (workspace)',
      '      project:P',
      '        config:train (default)',
      '          run:r1 (run)',
      '          checkpoint:checkpoint-5 (checkpoint · step 5)',
      '        config:eval',
      'root:/empty',
      '  note:No projects found',
    ]);
  });

  it('says loading while a config’s artifacts are asked for, and shows a failure', () => {
    const open = new Set([
      'root:/r',
      'workspace:/r/ws',
      'workspace:/r/ws/inner',
      'project:abc',
      configKey(project, 'train'),
    ]);
    const loading = buildRows(
      tree,
      open,
      new Map([[configKey(project, 'train'), { loading: true as const }]]),
    );
    expect(loading.find((r) => r.kind === 'note')?.label).toBe('Loading…');
    const failed = buildRows(
      tree,
      open,
      new Map([[configKey(project, 'train'), { loading: false as const, error: 'gone' }]]),
    );
    expect(failed.find((r) => r.kind === 'note')).toMatchObject({ label: 'gone', error: true });
  });

  it('finds the rows to open to reveal a project', () => {
    expect(ancestorKeys(tree, 'abc')).toEqual(['root:/r', 'workspace:/r/ws', 'workspace:/r/ws/inner']);
    expect(ancestorKeys(tree, 'nope')).toEqual([]);
  });
});

describe('run form', () => {
  const params: ParamSpecDto[] = [
    { name: 'lr', type: 'number', default: 0.001 },
    { name: 'steps', type: 'integer', default: 10 },
    { name: 'opt', type: 'string', choices: ['adamw', 'sgd'], default: 'adamw' },
    { name: 'bf16', type: 'boolean', default: false },
    { name: 'note', type: 'string' },
  ];

  it('pre-fills remembered overrides over the defaults', () => {
    expect(initialValues(params, { lr: 0.5, bf16: true })).toEqual({
      lr: '0.5',
      steps: '10',
      opt: 'adamw',
      bf16: true,
      note: '',
    });
  });

  it('sends every value shown, typed per the schema: one put back to its default too', () => {
    // Before: a value equal to its default was left out, and the server ran the remembered one.
    const values = { lr: '0.5', steps: '10', opt: 'sgd', bf16: false, note: '' };
    expect(toOverrides(params, values)).toEqual({
      overrides: { lr: 0.5, steps: 10, opt: 'sgd', bf16: false },
      errors: {},
    });
    // Round trip: what the dialog sends is what it shows next time.
    expect(initialValues(params, toOverrides(params, values).overrides)).toEqual(values);
    // A field emptied means its default, sent as such.
    expect(toOverrides(params, { ...values, lr: ' ' }).overrides).toMatchObject({ lr: params[0].default });
  });

  it('names the bad field like the server does', () => {
    const { errors } = toOverrides(params, { lr: 'fast', steps: '1.5', opt: 'adamw', bf16: false, note: '' });
    expect(errors).toEqual({ 'overrides.lr': 'must be a number', 'overrides.steps': 'must be an integer' });
  });
});
