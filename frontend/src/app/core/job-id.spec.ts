import type { Client } from '@trainyard/sdk';
import { resolveJobOrArrayId } from './job-id';

const JOB = 'q_1700000000000_c5a49040';
const OTHER = 'q_1700000000001_0a1b2c3d';
const ARRAY = 'a_1700000000002_beefcafe';

describe(resolveJobOrArrayId.name, () => {
  /** GET /api/jobs like the server: `q` searches queue ids, array ids and names; two pages. */
  function client() {
    const jobs = [
      { queue_id: JOB, array_id: null, name: 'c5a49040 lookalike' },
      { queue_id: OTHER, array_id: ARRAY, name: null },
    ];
    const get = vi.fn(async ({ query }: { query: { q?: string; cursor?: string } }) => {
      const found = jobs.filter(
        (j) =>
          !query.q ||
          j.queue_id.includes(query.q) ||
          j.array_id?.includes(query.q) ||
          j.name?.includes(query.q),
      );
      const page = query.cursor ? found.slice(1) : found.slice(0, 1);
      return { data: { items: page, next_cursor: !query.cursor && found.length > 1 ? 'next' : null } };
    });
    return { api: { get } as unknown as Client, get };
  }

  it('takes a whole id as is, without asking the server', async () => {
    const { api, get } = client();
    await expect(resolveJobOrArrayId(api, ` ${JOB} `)).resolves.toEqual({ id: JOB });
    await expect(resolveJobOrArrayId(api, ARRAY)).resolves.toEqual({ id: ARRAY });
    expect(get).not.toHaveBeenCalled();
  });

  it('resolves the 8 hex digits the console shows, or a prefix, to the one job', async () => {
    const { api } = client();
    await expect(resolveJobOrArrayId(api, 'c5a49040')).resolves.toEqual({ id: JOB });
    await expect(resolveJobOrArrayId(api, 'q_1700000000001')).resolves.toEqual({ id: OTHER });
  });

  it('falls back to array ids, read from every page of jobs found', async () => {
    const { api } = client();
    await expect(resolveJobOrArrayId(api, 'beefcafe')).resolves.toEqual({ id: ARRAY });
  });

  it('says when nothing or several match', async () => {
    const { api } = client();
    await expect(resolveJobOrArrayId(api, 'deadbeef')).resolves.toEqual({
      error: 'No job or array id starts or ends with “deadbeef”.',
    });
    await expect(resolveJobOrArrayId(api, 'q_17')).resolves.toEqual({
      error: `“q_17” matches 2 jobs (${JOB}, ${OTHER}): type more of the id.`,
    });
  });
});
