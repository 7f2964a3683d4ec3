import type { ProjectDetailDto, ProjectSummaryDto, ProjectTreeDto } from '@trainyard/sdk';
import type { CliContext } from '../context';
import { EXIT } from '../errors';
import { palette } from '../format';
import { allProjects, findProject, nothingToList, renderProject, renderProjects } from './projects.command';

const project = (fields: Partial<ProjectSummaryDto>): ProjectSummaryDto => ({
  id: '0123456789abcdef',
  kind: 'trainyard',
  name: 'Echo',
  description: '',
  path: '/srv/root/echo',
  root: '/srv/root',
  default_config: 'echo',
  configs: [],
  ...fields,
});

const tree: ProjectTreeDto = {
  scanned_at: '2026-12-02T12:00:00Z',
  roots: [
    {
      path: '/srv/root',
      truncated: false,
      projects: [
        project({}),
        project({ id: 'fedcba9876543210', name: 'broken', error: 'configs[0].argv: is required\u001b[2J' }),
      ],
      workspaces: [
        {
          path: '/srv/root/ws',
          name: 'WS',
          description: '',
          projects: [
            project({ id: '0123aaaaaaaaaaaa', name: 'A', kind: 'forgather', path: '/srv/root/ws/a' }),
          ],
          workspaces: [
            {
              path: '/srv/root/ws/inner',
              name: 'Inner',
              description: '',
              projects: [project({ id: '9999999999999999', name: 'Echo', path: '/srv/root/ws/inner/echo' })],
              workspaces: [],
            },
          ],
        },
      ],
    },
    { path: '/srv/gone', truncated: true, projects: [], workspaces: [], error: 'EACCES' },
  ],
};

describe(renderProjects.name, () => {
  const ctx = { colors: palette(false), terminalWidth: undefined } as CliContext;

  it('lists every project, nested workspaces too, then what could not be read, escaped', () => {
    const text = renderProjects(ctx, tree);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+KIND\s+CONFIGS\s+PATH$/);
    expect(lines.slice(1, 5).map((l) => l.split(/\s{2,}/)[1])).toEqual(['Echo', 'broken', 'A', 'Echo']);
    expect(text).toContain('broken (fedcba9876543210): configs[0].argv: is required\\x1b[2J\n');
    expect(text).toContain('search root /srv/gone: EACCES\n');
    expect(text).toContain(
      'search root /srv/gone: the walk stopped at its limit; some projects may be missing\n',
    );
    expect(text).not.toContain('\u001b');
  });
});

describe(nothingToList.name, () => {
  it('says when there is no search root, or no project under them (a note: no row on stdout)', () => {
    const empty = {
      scanned_at: '',
      roots: [{ path: '/srv/x', truncated: false, projects: [], workspaces: [] }],
    };
    expect(nothingToList({ scanned_at: '', roots: [] })).toMatch(/^no search roots/);
    expect(nothingToList(empty)).toMatch(/^no projects under \/srv\/x/);
    expect(renderProjects({ colors: palette(false) } as CliContext, empty)).toBe('');
    expect(nothingToList(tree)).toBeNull();
  });
});

describe(findProject.name, () => {
  const projects = allProjects(tree);

  it('takes an id, a unique prefix of one, or a name only one project has', () => {
    expect(findProject(projects, '9999999999999999').path).toBe('/srv/root/ws/inner/echo');
    expect(findProject(projects, 'fedc').name).toBe('broken');
    expect(findProject(projects, 'A').id).toBe('0123aaaaaaaaaaaa');
  });

  it('exits 2 naming both when a name is two projects’, 5 when nothing matches', () => {
    expect(() => findProject(projects, 'Echo')).toThrow(
      '"Echo" matches 2 projects (0123456789abcdef at /srv/root/echo, 9999999999999999 at /srv/root/ws/inner/echo); give its id',
    );
    expect(() => findProject(projects, '0123')).toThrow(expect.objectContaining({ exitCode: EXIT.invalid }));
    expect(() => findProject(projects, 'nope')).toThrow(expect.objectContaining({ exitCode: EXIT.notFound }));
  });
});

describe(renderProject.name, () => {
  const detail = (fields: Partial<ProjectDetailDto>): ProjectDetailDto => ({
    ...project({}),
    readme: null,
    readme_path: null,
    images: [],
    ...fields,
  });

  it('shows the record, its configs with their parameters (the default starred) and its runs', () => {
    const text = renderProject(
      detail({
        configs: [
          {
            name: 'echo',
            job_type: 'command',
            gpus: 0,
            file: null,
            output_dir: '/srv/root/echo/out',
            params: [
              { name: 'lr', type: 'number', default: 0.001 },
              { name: 'tag', type: 'string' },
            ],
          },
          {
            name: 'train',
            job_type: 'training',
            file: null,
            output_dir: '/o',
            params: [],
            description: 'Pretrain',
          },
        ],
      }),
      3,
    );
    expect(text).toMatch(/^default config\s+echo$/m);
    expect(text).toMatch(/^runs\s+3 \(trainyard runs list --project "Echo"\)$/m);
    expect(text).toMatch(/^ {2}echo \*\s+command\s+0\s+lr=0.001 tag$/m);
    expect(text).toMatch(/^ {2}train\s+training\s+-\s+-\s+Pretrain$/m);
  });
});
