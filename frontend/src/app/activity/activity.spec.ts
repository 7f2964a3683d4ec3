import type { JournalEntryDto } from '@trainyard/sdk';
import { describeEntry } from './activity';

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
      at('job.terminating.v1', { queue_id: 'q_1_ab', termination_reason: 'time_limit' }),
      'q_1_ab',
      'time limit reached, stopping',
    ],
    [
      at('job.starting.v1', { queue_id: 'q_1_ab', gpu_indices: [0, 2], started_at: '' }),
      'q_1_ab',
      'starting on GPUs 0, 2',
    ],
    [
      at('gpu.policy_changed.v1', { gpu_index: 1, disabled: true, min_priority: 0 }),
      undefined,
      'GPU 1 disabled',
    ],
    [
      at('gpu.policy_changed.v2', { gpu_index: 0, disabled: false, min_priority: -2 }),
      undefined,
      'GPU 0 enabled, only priority ≥ -2',
    ],
    [
      at('gpu.policy_changed.v2', { gpu_index: 0, disabled: false, min_priority: null }),
      undefined,
      'GPU 0 enabled',
    ],
    [at('scheduler.toggled.v1', { enabled: false }), undefined, 'scheduler paused'],
    [
      at('auth.sessions_revoked.v1', { reason: 'logout_all', revoked: 3 }),
      undefined,
      '3 sessions ended (sign out everywhere)',
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

  it('shows an entry type it does not know by name and payload', () => {
    expect(describeEntry(at('cluster.joined.v1', { node: 'b' })).text).toBe('cluster.joined.v1 {"node":"b"}');
  });
});
