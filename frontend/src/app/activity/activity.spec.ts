import type { JournalEntryDto } from '@trainyard/sdk';
import openapi from '../../../../openapi/openapi.json';
import { DESCRIBED_TYPES, describeEntry } from './activity';

type Schema = {
  $ref?: string;
  allOf?: Schema[];
  enum?: unknown[];
  type?: string | string[];
  nullable?: boolean;
  properties?: Record<string, Schema>;
  required?: string[];
};
const schemas = openapi.components.schemas as unknown as Record<string, Schema>;
const resolve = (schema: Schema): Schema =>
  schema.$ref
    ? resolve(schemas[schema.$ref.split('/').pop()!])
    : schema.allOf?.length === 1
      ? resolve(schema.allOf[0])
      : schema;
/** A made-up value of `schema`: its first enum value, or a plain one of its type. */
function sample(schema: Schema, key = ''): unknown {
  const s = resolve(schema);
  if (s.enum) return s.enum[0];
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object':
      return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, sample(v, k)]));
    case 'array':
      return [];
    case 'number':
    case 'integer':
      return 3;
    case 'boolean':
      return true;
    default:
      return `${key}-x`;
  }
}
/** Every journal entry type the server's OpenAPI document declares, with its entry schema. */
const declared = Object.entries(
  (schemas['JournalEntryDto'] as unknown as { discriminator: { mapping: Record<string, string> } })
    .discriminator.mapping,
);

const at = (type: string, payload: Record<string, unknown>) =>
  ({
    seq: 7,
    ts: '2026-01-01T00:00:00.000Z',
    origin_node_id: 'n',
    type,
    payload,
  }) as unknown as JournalEntryDto;

describe('describeEntry', () => {
  it.each([
    [
      at('job.finished.v1', { queue_id: 'q_1_ab', status: 'done', exit_code: 0, error: null }),
      'q_1_ab',
      'finished (exit 0)',
    ],
    [
      at('job.finished.v1', {
        queue_id: 'q_1_ab',
        status: 'failed',
        exit_code: 127,
        error: 'command not found',
      }),
      'q_1_ab',
      'failed (exit 127): command not found',
    ],
    [
      at('job.deleted.v1', { queue_ids: ['q_1796183814920_ab12cd34'] }),
      undefined,
      '1 finished job deleted: ab12cd34',
    ],
    [
      at('job.deleted.v1', {
        queue_ids: ['q_1_00000001', 'q_2_00000002', 'q_3_00000003', 'q_4_00000004', 'q_5_00000005'],
      }),
      undefined,
      '5 finished jobs deleted: 00000001, 00000002, 00000003 and 2 more',
    ],
    [
      at('job.terminating.v1', { queue_id: 'q_1_ab', termination_reason: 'time_limit' }),
      'q_1_ab',
      'time limit reached, stopping',
    ],
    [
      at('job.terminating.v1', { queue_id: 'q_1_ab', termination_reason: 'bundle_rollback' }),
      'q_1_ab',
      'its multi-node job was rolled back: killing it',
    ],
    [
      at('job.starting.v1', { queue_id: 'q_1_ab', gpu_indices: [0, 2], started_at: '' }),
      'q_1_ab',
      'starting on GPUs 0, 2',
    ],
    [
      at('gpu.policy_changed.v1', { gpu_index: 1, disabled: true, min_priority: 0 }),
      undefined,
      'GPU 1 policy: disabled, no priority gate',
    ],
    [
      at('gpu.policy_changed.v2', { gpu_index: 0, disabled: false, min_priority: -2 }),
      undefined,
      'GPU 0 policy: enabled, only priority ≥ -2',
    ],
    [
      at('gpu.policy_changed.v2', { gpu_index: 0, disabled: false, min_priority: null }),
      undefined,
      'GPU 0 policy: enabled, no priority gate',
    ],
    [
      at('gpu.policy_changed.v3', { gpu_index: 1, gpu_uuid: 'GPU-1', disabled: true, min_priority: null }),
      undefined,
      'GPU 1 policy: disabled, no priority gate',
    ],
    [at('scheduler.toggled.v1', { enabled: false }), undefined, 'scheduler paused'],
    [
      at('auth.sessions_revoked.v1', { reason: 'logout_all', revoked: 3 }),
      undefined,
      '3 sessions ended (sign out everywhere)',
    ],
    [
      at('auth.sessions_revoked.v1', { reason: 'password_set', revoked: 0 }),
      undefined,
      'no other session ended (the password changed)',
    ],
  ])('puts %j in words', (entry, queueId, text) => {
    expect(describeEntry(entry)).toEqual({
      seq: 7,
      ts: entry.ts,
      area: entry.type.split('.')[0],
      queueId,
      text,
    });
  });

  it.each(declared)('puts every declared entry type in words: %s', (type, ref) => {
    expect(DESCRIBED_TYPES).toContain(type);
    const { payload } = sample({ $ref: ref }) as { payload: Record<string, unknown> };
    const { text } = describeEntry(at(type, payload));
    expect(text).not.toContain(type);
    expect(text).not.toMatch(/[{}"]/); // no JSON
    expect(text.length).toBeGreaterThan(3);
  });

  it('names the dependency that failed and a run by its name', () => {
    expect(
      describeEntry(
        at('job.dependency_failed.v1', { queue_id: 'q_1_ab', error: 'q_0_x failed', ended_at: '' }),
      ),
    ).toMatchObject({ queueId: 'q_1_ab', text: 'will not run: q_0_x failed' });
    expect(
      describeEntry(
        at('run.created.v1', {
          run_id: 'r_1796183814920_0a1b2c3d4e5f',
          job_id: 'q_1_ab',
          name: 'lr-sweep',
          project: 'me/demo',
          created_at: '',
        }),
      ),
    ).toMatchObject({
      queueId: 'q_1_ab',
      text: "started tracking run 0a1b2c3d4e5f 'lr-sweep' in me/demo",
    });
    // Runs made within hours of each other share their ids' first characters (a timestamp): the
    // random part tells them apart, and the name when the entry has it.
    const changed = (run_id: string, name?: string | null) =>
      describeEntry(at('run.status_changed.v1', { run_id, status: 'finished', updated_at: '', name })).text;
    expect(changed('r_1796183814920_0a1b2c3d4e5f', 'lr-3e-4')).toBe("run 0a1b2c3d4e5f 'lr-3e-4' finished");
    expect(changed('r_1796183815107_99aa00bb11cc')).toBe('run 99aa00bb11cc finished');
    expect(
      describeEntry(
        at('cluster.bundle_cancelled.v1', { bundle_id: 'cj_1796183814920_5e6f7a8b', cancelled_at: '' }),
      ).text,
    ).toBe('multi-node job 5e6f7a8b cancelled');
  });

  it('shows an entry type it does not know by name and payload', () => {
    expect(describeEntry(at('cluster.joined.v1', { node: 'b' })).text).toBe('cluster.joined.v1 {"node":"b"}');
  });
});
