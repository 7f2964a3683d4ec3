import {
  DependencyCondition,
  DependencyTarget,
  evaluateDependencies,
  evaluateDependency,
  findCycle,
  settleDependencies,
} from './dependencies';
import type { JobStatus } from './job-lifecycle';

/** A dependency in `status`; `launched` (a pid recorded) by default once it is past `starting`. */
const at = (status: JobStatus, launched = !['queued', 'starting'].includes(status)): DependencyTarget => ({
  status,
  launched,
});

describe(evaluateDependency.name, () => {
  // Every condition against every state of its dependency (null: no such job any more).
  type Row = [DependencyCondition, DependencyTarget | null, 'met' | 'waiting' | 'never'];
  const rows: Row[] = [
    ['after_ok', at('queued'), 'waiting'],
    ['after_ok', at('running'), 'waiting'],
    ['after_ok', at('terminating'), 'waiting'],
    ['after_ok', at('done'), 'met'],
    ['after_ok', at('failed'), 'never'],
    ['after_ok', at('aborted'), 'never'],
    ['after_ok', null, 'never'],
    ['after_any', at('queued'), 'waiting'],
    ['after_any', at('starting'), 'waiting'],
    ['after_any', at('done'), 'met'],
    ['after_any', at('failed'), 'met'],
    ['after_any', at('aborted', false), 'met'],
    ['after_any', null, 'met'],
    ['after_not_ok', at('running'), 'waiting'],
    ['after_not_ok', at('done'), 'never'],
    ['after_not_ok', at('failed'), 'met'],
    ['after_not_ok', at('aborted'), 'met'],
    ['after_not_ok', null, 'never'],
    ['after_start', at('queued'), 'waiting'],
    // Started means its command was: not while it is still starting, nor when its launch failed.
    ['after_start', at('starting'), 'waiting'],
    ['after_start', at('running'), 'met'],
    ['after_start', at('terminating'), 'met'],
    ['after_start', at('terminating', false), 'waiting'],
    ['after_start', at('done'), 'met'],
    ['after_start', at('failed'), 'met'],
    ['after_start', at('failed', false), 'never'],
    ['after_start', at('aborted', false), 'never'],
    ['after_start', null, 'never'],
  ];
  it.each(rows)('%s on %o → %s', (condition, target, expected) => {
    const state = evaluateDependency(condition, target);
    expect(typeof state === 'string' ? state : 'never').toBe(expected);
  });
});

describe(evaluateDependencies.name, () => {
  const known = new Map<string, DependencyTarget>([
    ['q_train', at('running')],
    ['q_prep', at('done')],
    ['q_bad', at('failed')],
  ]);
  const lookup = (id: string) => known.get(id) ?? null;

  it('is met when every dependency is', () => {
    expect(evaluateDependencies([], lookup)).toEqual({ state: 'met' });
    expect(evaluateDependencies([{ queue_id: 'q_prep', condition: 'after_ok' }], lookup)).toEqual({
      state: 'met',
    });
  });

  it('waits with a reason naming each unmet dependency and what it waits for', () => {
    expect(
      evaluateDependencies(
        [
          { queue_id: 'q_prep', condition: 'after_ok' },
          { queue_id: 'q_train', condition: 'after_ok' },
          { queue_id: 'q_train', condition: 'after_any' },
        ],
        lookup,
      ),
    ).toEqual({ state: 'waiting', reason: 'waiting for q_train to succeed; waiting for q_train to end' });
  });

  it('fails as soon as one dependency cannot be met, naming it', () => {
    const state = evaluateDependencies(
      [
        { queue_id: 'q_train', condition: 'after_ok' },
        { queue_id: 'q_bad', condition: 'after_ok' },
      ],
      lookup,
    );
    expect(state).toEqual({
      state: 'failed',
      error: 'dependency q_bad (after_ok) can no longer be met: it ended failed',
    });
  });
});

describe(settleDependencies.name, () => {
  it('cascades a failure down a chain of queued jobs in one pass', () => {
    const chain = [
      { id: 'q_report', depends_on: [{ queue_id: 'q_eval', condition: 'after_ok' as const }] },
      { id: 'q_eval', depends_on: [{ queue_id: 'q_train', condition: 'after_ok' as const }] },
      { id: 'q_cleanup', depends_on: [{ queue_id: 'q_eval', condition: 'after_any' as const }] },
    ];
    const { waiting, failed } = settleDependencies(chain, new Map([['q_train', at('failed')]]));
    expect([...failed.keys()].sort()).toEqual(['q_eval', 'q_report']);
    expect(failed.get('q_report')).toMatch(/q_eval \(after_ok\).*ended aborted/);
    // after_any is met by the aborted eval: cleanup may run.
    expect(waiting.size).toBe(0);
  });

  it('says since when each job is ready: the last dependency met (a start for after_start, else an end)', () => {
    const dep = (queue_id: string, condition: 'after_ok' | 'after_start' | 'after_any') => ({
      queue_id,
      condition,
    });
    const { readySince, waiting } = settleDependencies(
      [
        { id: 'q_eval', depends_on: [dep('q_train', 'after_ok'), dep('q_prep', 'after_ok')] },
        { id: 'q_watch', depends_on: [dep('q_serve', 'after_start')] },
        { id: 'q_gone', depends_on: [dep('q_deleted', 'after_any')] },
        { id: 'q_report', depends_on: [dep('q_eval', 'after_ok')] },
        { id: 'q_notify', depends_on: [dep('q_bad', 'after_ok')] },
        { id: 'q_cleanup', depends_on: [dep('q_notify', 'after_any')] },
      ],
      new Map([
        ['q_train', { ...at('done'), started_ms: 1000, ended_ms: 5000 }],
        ['q_prep', { ...at('done'), started_ms: 100, ended_ms: 7000 }],
        ['q_serve', { status: 'running' as const, launched: true, started_ms: 3000, ended_ms: null }],
        ['q_bad', { ...at('failed'), started_ms: 100, ended_ms: 200 }],
      ]),
      9000,
    );
    expect(Object.fromEntries(readySince)).toEqual({
      q_eval: 7000, // the later of its two dependencies' ends
      q_watch: 3000, // its dependency's start
      q_gone: 0, // met by a job that no longer exists: no time known
      q_cleanup: 9000, // met by q_notify, aborted in this very pass
    });
    expect([...waiting.keys()]).toEqual(['q_report']);
  });

  it('keeps jobs whose dependencies are pending waiting, with the reason', () => {
    const { waiting, failed } = settleDependencies(
      [
        { id: 'q_eval', depends_on: [{ queue_id: 'q_train', condition: 'after_ok' }] },
        { id: 'q_report', depends_on: [{ queue_id: 'q_eval', condition: 'after_ok' }] },
      ],
      new Map([['q_train', at('running')]]),
    );
    expect(failed.size).toBe(0);
    expect(Object.fromEntries(waiting)).toEqual({
      q_eval: 'waiting for q_train to succeed',
      q_report: 'waiting for q_eval to succeed',
    });
  });
});

describe(findCycle.name, () => {
  const graph: Record<string, string[]> = { a: ['b'], b: ['c'], c: ['a', 'd'], d: [] };
  const edges = (id: string) => graph[id] ?? [];
  it('returns the path back to the start', () => {
    expect(findCycle('a', edges)).toEqual(['a', 'b', 'c', 'a']);
  });
  it('finds a self-dependency', () => {
    expect(findCycle('x', (id) => (id === 'x' ? ['x'] : []))).toEqual(['x', 'x']);
  });
  it('returns null without a cycle through the start, even if others exist elsewhere', () => {
    expect(findCycle('d', edges)).toBeNull();
    expect(findCycle('n', (id) => (id === 'n' ? ['a'] : edges(id)))).toBeNull();
  });
});
