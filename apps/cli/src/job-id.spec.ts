import { createTrainyardClient } from '@trainyard/sdk';
import { CliError, EXIT } from './errors';
import { resolveJobId, resolveJobOrArrayId } from './job-id';

/** A client whose `GET /api/jobs` answers from `jobs`, filtered by `q` on the ids as the server would. */
function clientOver(jobs: Array<{ queue_id: string; array_id: string | null }>) {
  const fetch = async (input: Request | string | URL) => {
    const url = new URL(new Request(input).url);
    const q = url.searchParams.get('q');
    const items = q ? jobs.filter((j) => j.queue_id.includes(q) || j.array_id?.includes(q)) : jobs;
    return new Response(JSON.stringify({ items, total: items.length, next_cursor: null }), {
      headers: { 'content-type': 'application/json' },
    });
  };
  return createTrainyardClient({ baseUrl: 'http://test', fetch });
}

describe(resolveJobOrArrayId.name, () => {
  const client = clientOver([
    { queue_id: 'q_1796000000000_11111111', array_id: 'a_1796000000000_4351541c' },
    { queue_id: 'q_1796000000000_22222222', array_id: 'a_1796000000000_4351541c' },
    { queue_id: 'q_1796000000001_33333333', array_id: null },
    { queue_id: 'q_1796000000002_44444444', array_id: 'a_1796000000002_55555551' },
  ]);

  it('takes whole ids as they are', async () => {
    await expect(resolveJobOrArrayId(client, 'a_1700000000000_00000000')).resolves.toEqual({
      kind: 'array',
      id: 'a_1700000000000_00000000',
    });
    await expect(resolveJobOrArrayId(client, 'q_1700000000000_00000000')).resolves.toEqual({
      kind: 'job',
      id: 'q_1700000000000_00000000',
    });
  });

  it('finds a job by a unique part of its id, and an array by a part of its id no job has', async () => {
    await expect(resolveJobOrArrayId(client, '33333333')).resolves.toEqual({
      kind: 'job',
      id: 'q_1796000000001_33333333',
    });
    await expect(resolveJobOrArrayId(client, '4351541c')).resolves.toEqual({
      kind: 'array',
      id: 'a_1796000000000_4351541c',
    });
    await expect(resolveJobOrArrayId(client, 'a_1796000000002')).resolves.toEqual({
      kind: 'array',
      id: 'a_1796000000002_55555551',
    });
  });

  it('exits 2 naming the candidates when a part matches several, 5 when it matches none', async () => {
    const ambiguous = resolveJobOrArrayId(client, 'a_17960');
    await expect(ambiguous).rejects.toThrow(
      '"a_17960" matches 2 arrays (a_1796000000000_4351541c, a_1796000000002_55555551); give more of the id',
    );
    await expect(ambiguous).rejects.toMatchObject({ exitCode: EXIT.invalid });
    const none = resolveJobOrArrayId(client, 'ffffffff');
    await expect(none).rejects.toThrow(CliError);
    await expect(none).rejects.toMatchObject({
      message: 'no job or array id starts or ends with "ffffffff"',
      exitCode: EXIT.notFound,
    });
  });
});

describe(resolveJobId.name, () => {
  it('given an array id where one job is meant, says what takes an array (exit 2), not "no such job"', async () => {
    const client = clientOver([
      { queue_id: 'q_1796000000000_11111111', array_id: 'a_1796000000000_4351541c' },
    ]);
    const err = await resolveJobId(client, 'a_1796000000000_4351541c').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect(err).toMatchObject({ exitCode: EXIT.invalid });
    expect((err as CliError).message).toMatch(
      /^a_1796000000000_4351541c is an array, not a job: `trainyard wait`, `sched cancel`, .*`trainyard sched list`/,
    );
  });

  it('given a multi-node job id where a job (or array) is meant, says what takes it (exit 2), not "no such job"', async () => {
    const client = clientOver([{ queue_id: 'q_1796000000000_11111111', array_id: null }]);
    for (const resolve of [resolveJobId, resolveJobOrArrayId]) {
      const err = await resolve(client, 'cj_1796000000000_0a1b2c3d').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CliError);
      expect(err).toMatchObject({ exitCode: EXIT.invalid });
      expect((err as CliError).message).toMatch(
        /^cj_1796000000000_0a1b2c3d is a multi-node job, not a job.*`cluster tail`.*`trainyard wait` take it; `trainyard cluster jobs cj_1796000000000_0a1b2c3d` lists its ranks' job ids$/,
      );
    }
  });
});
