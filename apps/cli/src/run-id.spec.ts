import { createTrainyardClient } from '@trainyard/sdk';
import { CliError, EXIT } from './errors';
import { resolveRunId } from './run-id';

/** A client whose `GET /api/runs/page` answers from `ids`, filtered by `q` as the server would (any case). */
function clientOver(ids: string[]) {
  const asked: string[] = [];
  const fetch = async (input: Request | string | URL) => {
    const url = new URL(new Request(input).url);
    asked.push(url.pathname);
    const q = url.searchParams.get('q')?.toLowerCase() ?? '';
    const items = ids
      .filter((id) => id.toLowerCase().includes(q))
      .map((run_id) => ({ run_id, name: 'r', project: null, job_id: null, status: 'finished' }));
    return new Response(JSON.stringify({ items, total: items.length, next_cursor: null }), {
      headers: { 'content-type': 'application/json' },
    });
  };
  return { client: createTrainyardClient({ baseUrl: 'http://test', fetch }), asked };
}

describe(resolveRunId.name, () => {
  const ids = [
    'r_1796000000000_aaaaaaaaaaaa',
    'r_1796000000000_bbbbbbbbbbbb',
    'r_1796000000001_cccccccccc11',
    'gs_cHJvai9ydW4',
    'gs_cHJvai9ydW4x',
  ];

  it('takes a whole Trainyard run id as it is, without asking', async () => {
    const { client, asked } = clientOver(ids);
    await expect(resolveRunId(client, 'r_1700000000000_000000000000')).resolves.toBe(
      'r_1700000000000_000000000000',
    );
    expect(asked).toEqual([]);
  });

  it('finds a run by a unique prefix or suffix of its id, and a goodseed id that is whole', async () => {
    const { client } = clientOver(ids);
    await expect(resolveRunId(client, 'bbbbbb')).resolves.toBe('r_1796000000000_bbbbbbbbbbbb');
    await expect(resolveRunId(client, 'r_1796000000001')).resolves.toBe('r_1796000000001_cccccccccc11');
    // Also a prefix of another id: the whole id wins.
    await expect(resolveRunId(client, 'gs_cHJvai9ydW4')).resolves.toBe('gs_cHJvai9ydW4');
  });

  it('exits 2 naming the candidates when a part matches several, 5 when it matches none', async () => {
    const { client } = clientOver(ids);
    const ambiguous = resolveRunId(client, 'r_1796000000000');
    await expect(ambiguous).rejects.toThrow(
      '"r_1796000000000" matches 2 runs (r_1796000000000_aaaaaaaaaaaa, r_1796000000000_bbbbbbbbbbbb); give more of the id',
    );
    await expect(resolveRunId(client, 'r_')).rejects.toMatchObject({ exitCode: EXIT.invalid });
    // In the middle of an id (and matched by the search): neither a prefix nor a suffix.
    const unknown = resolveRunId(client, '796000');
    await expect(unknown).rejects.toThrow('no run id starts or ends with "796000"');
    await expect(resolveRunId(client, '796000')).rejects.toMatchObject({ exitCode: EXIT.notFound });
    await expect(resolveRunId(client, ' ')).rejects.toEqual(
      new CliError('a run id cannot be empty', EXIT.invalid),
    );
  });
});
