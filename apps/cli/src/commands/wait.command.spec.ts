import { awayNotes, heldNote, waitExitCode } from './wait.command';

describe(waitExitCode.name, () => {
  const end = (status: string, exit_code: number | null, ended_at: string | null) => ({
    queue_id: 'q',
    status,
    exit_code,
    ended_at,
  });
  it.each<[string, Parameters<typeof waitExitCode>[0], number]>([
    ['all succeeded', [end('done', 0, 't1'), end('done', 0, 't2')], 0],
    ['one failed with 3', [end('done', 0, 't1'), end('failed', 3, 't2')], 3],
    ['the failure that ended first wins', [end('failed', 4, 't2'), end('failed', 3, 't1')], 3],
    ['aborted without a code is 1', [end('aborted', null, 't1')], 1],
    ['cancelled from the queue is 5', [end('cancelled', null, 't1')], 5],
  ])('%s', (_, ends, code) => {
    expect(waitExitCode(ends)).toBe(code);
  });
});

describe(heldNote.name, () => {
  it('says a held job will not start until released, with the command that releases it', () => {
    const id = 'q_1796000000000_0000000a';
    expect(heldNote(id, [id])).toBe(
      `trainyard: ${id} is held: it will not start until released (\`trainyard sched release ${id}\`); still waiting…\n`,
    );
  });
  it('names (up to three of) an array’s held jobs', () => {
    const array = 'a_1796000000000_0000000b';
    expect(heldNote(array, ['q_1'])).toContain(`1 of ${array}'s jobs is held (q_1): it will not start`);
    expect(heldNote(array, ['q_1', 'q_2', 'q_3', 'q_4'])).toContain(
      `4 of ${array}'s jobs are held (q_1, q_2, q_3, …): they will not start until released (\`trainyard sched release ${array}\`)`,
    );
  });
});

describe(awayNotes.name, () => {
  const cj = 'cj_1796000000000_0000000c';
  const rank = (node_rank: number, status: string, hostname = 'gpu-box') => ({
    node_rank,
    node_id: `${node_rank}`.repeat(8) + 'ffff',
    hostname,
    status: status as 'running',
  });
  it('notes a rank whose node does not answer once while it does not, and once when it answers again', () => {
    const away = new Map<string, Set<number>>();
    expect(awayNotes(cj, [rank(0, 'running'), rank(1, 'running')], away)).toBe('');
    const gone = `trainyard: node gpu-box (11111111) of ${cj} rank 1 does not answer: that rank's end is unknown until it does; still waiting…\n`;
    expect(awayNotes(cj, [rank(0, 'running'), rank(1, 'unknown')], away)).toBe(gone);
    expect(awayNotes(cj, [rank(0, 'running'), rank(1, 'unknown')], away)).toBe('');
    expect(awayNotes(cj, [rank(0, 'running'), rank(1, 'running')], away)).toBe(
      `trainyard: node gpu-box (11111111) of ${cj} rank 1 answers again; still waiting…\n`,
    );
    // A second outage is told again; so is each rank, and a hostname's control characters are escaped.
    expect(awayNotes(cj, [rank(0, 'unknown', 'evil\x1b]0;x\x07'), rank(1, 'unknown')], away)).toBe(
      `trainyard: node evil\\x1b]0;x\\x07 (00000000) of ${cj} rank 0 does not answer: that rank's end is unknown until it does; still waiting…\n` +
        gone,
    );
  });
});
