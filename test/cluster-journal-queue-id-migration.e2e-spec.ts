import { join } from 'node:path';
import { ClusterJournalQueueId1796021500000 } from '../migrations/1796021500000-cluster-journal-queue-id';
import { databaseBefore, migrateToCurrent } from './support/migrations';
import { makeTempHome } from './support/temp-home';

describe('migration ClusterJournalQueueId (real SQLite file)', () => {
  const temp = makeTempHome();
  afterAll(() => temp.remove());

  it('gives replicated entries the job they are about, and a rank’s end is looked up by node and job, not scanned', async () => {
    const file = join(temp.home, 'cluster-journal.db');
    const old = await databaseBefore(file, ClusterJournalQueueId1796021500000);
    const entry = (node: string, seq: number, type: string, payload: object) =>
      old.query(
        `INSERT INTO cluster_journal (origin_node_id, seq, ts, type, payload, stream_seq) VALUES (?, ?, 't', ?, ?, ?)`,
        [node, seq, type, JSON.stringify(payload), seq],
      );
    await entry('n1', 1, 'job.finished.v1', { queue_id: 'q_a', status: 'done' });
    await entry('n1', 2, 'job.cancelled.v1', { queue_id: 'q_b' });
    await entry('n2', 3, 'gpu.policy_changed.v1', { gpu_index: 0 });
    await entry('n2', 4, 'job.weird.v1', { queue_id: 7 });
    await old.destroy();

    const current = await migrateToCurrent(file);
    expect(
      await current.query('SELECT origin_node_id, seq, queue_id FROM cluster_journal ORDER BY seq'),
    ).toEqual([
      { origin_node_id: 'n1', seq: 1, queue_id: 'q_a' },
      { origin_node_id: 'n1', seq: 2, queue_id: 'q_b' },
      { origin_node_id: 'n2', seq: 3, queue_id: null },
      { origin_node_id: 'n2', seq: 4, queue_id: null }, // not a job id
    ]);
    // What JournalReplication.jobEnds asks while a node does not answer: by index, whatever the
    // size of that node's history (before: every entry of the node was read).
    const plan: Array<{ detail: string }> = await current.query(
      `EXPLAIN QUERY PLAN SELECT * FROM cluster_journal r WHERE r.origin_node_id = ? AND r.queue_id IN (?, ?)
       AND r.type IN (?, ?)`,
      ['n1', 'q_a', 'q_b', 'job.finished.v1', 'job.cancelled.v1'],
    );
    expect(plan.map((p) => p.detail).join('\n')).toMatch(
      /SEARCH r USING INDEX IDX_4d4c23cfa0a69cfc2b74af1ddd \(origin_node_id=\? AND queue_id=\?\)/,
    );
    await current.destroy();
  });
});
