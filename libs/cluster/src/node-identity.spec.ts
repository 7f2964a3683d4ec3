import type { LeaseKv } from './master-lease';
import { NodeIdentity } from './node-identity';

/** One KV key with a JetStream KV's compare-and-set (the revision counter is the bucket's). */
function fakeKv(): LeaseKv {
  let revision = 0;
  let value: { revision: number; operation: string; data: string } | null = null;
  const write = (operation: string, data: string) =>
    (value = { revision: ++revision, operation, data }).revision;
  return {
    get: async () => value && { ...value, json: <T>() => JSON.parse(value!.data) as T },
    create: async (_k, data) => {
      if (value?.operation === 'PUT') throw new Error('wrong last sequence');
      return write('PUT', data);
    },
    update: async (_k, data, rev) => {
      if (value?.revision !== rev) throw new Error('wrong last sequence');
      return write('PUT', data);
    },
    delete: async (_k, opts) => {
      if (opts?.previousSeq !== undefined && value?.revision !== opts.previousSeq)
        throw new Error('wrong last sequence');
      write('DEL', '');
    },
  };
}

describe(NodeIdentity.name, () => {
  let clock = 0;
  const now = () => clock;
  const record = (hostname: string) => ({ hostname, api_url: null, started_at: '2026-01-01T00:00:00Z' });
  beforeEach(() => (clock = 0));

  it('a second process with the id is refused while the holder renews, and takes it 3 s after the holder dies', async () => {
    const kv = fakeKv();
    const a = new NodeIdentity('n1', 'a', 3000, { now });
    const b = new NodeIdentity('n1', 'b', 3000, { now });
    expect(await a.tick(kv, record('box-a'))).toBe('held');
    expect(await b.tick(kv, record('box-b'))).toBe('claiming');
    for (let t = 0; t < 5; t++) {
      clock += 1000;
      expect(await a.tick(kv, record('box-a'))).toBe('held');
      expect(await b.tick(kv, record('box-b'))).toBe('refused');
      expect(b.holder).toMatchObject({ instance_id: 'a', hostname: 'box-a' });
    }
    // a is killed: it renews no more.
    const states: string[] = [];
    for (let t = 0; t < 4; t++) {
      clock += 1000;
      states.push(await b.tick(kv, record('box-b')));
    }
    expect(states).toEqual(['refused', 'refused', 'held', 'held']);
    // a comes back (a long stall, not dead): its renewal loses, and it is the refused one now.
    clock += 1000;
    expect(await a.tick(kv, record('box-a'))).toBe('claiming');
    clock += 1000;
    await b.tick(kv, record('box-b'));
    expect(await a.tick(kv, record('box-a'))).toBe('refused');
  });

  it('a clean stop frees the id at once', async () => {
    const kv = fakeKv();
    const a = new NodeIdentity('n1', 'a', 3000, { now });
    const b = new NodeIdentity('n1', 'b', 3000, { now });
    await a.tick(kv, record('box-a'));
    await a.release(kv);
    expect(await b.tick(kv, record('box-b'))).toBe('held');
  });

  it('holds the id but stands for the node only once its history is checked; a check that cannot tell is tried again', async () => {
    const kv = fakeKv();
    let answers: Array<string | null | Error> = [new Error('NATS away'), null];
    const checkHistory = async () => {
      const next = answers.shift();
      if (next instanceof Error) throw next;
      return next ?? null;
    };
    const a = new NodeIdentity('n1', 'a', 3000, { now, checkHistory });
    await expect(a.tick(kv, record('box-a'))).rejects.toThrow('NATS away');
    expect(a.state).toBe('claiming');
    expect(await a.tick(kv, record('box-a'))).toBe('held');
    // Renewals do not check again.
    answers = [new Error('not asked')];
    clock += 1000;
    expect(await a.tick(kv, record('box-a'))).toBe('held');
    expect(answers).toHaveLength(1);
  });

  it('a copy whose history differs lets the id go at once and never claims it again', async () => {
    const kv = fakeKv();
    const copy = new NodeIdentity('n1', 'copy', 3000, { now, checkHistory: async () => 'entry 7 differs' });
    expect(await copy.tick(kv, record('box-a'))).toBe('diverged');
    expect(copy.refused).toBe(true);
    expect(copy.divergence).toBe('entry 7 differs');
    // The id is free for the node's real server at once, and the copy stays out.
    const real = new NodeIdentity('n1', 'real', 3000, { now });
    expect(await real.tick(kv, record('box-b'))).toBe('held');
    await real.release(kv);
    clock += 10_000;
    expect(await copy.tick(kv, record('box-a'))).toBe('diverged');
    expect((await kv.get('ids.n1'))?.operation).toBe('DEL');
  });

  it('a lost hold is checked again when the id is taken back', async () => {
    const kv = fakeKv();
    let checks = 0;
    const a = new NodeIdentity('n1', 'a', 3000, { now, checkHistory: async () => (checks++, null) });
    const b = new NodeIdentity('n1', 'b', 3000, { now });
    expect(await a.tick(kv, record('box-a'))).toBe('held');
    // a stalls past staleAfterMs; b takes the id, then stops cleanly.
    await b.tick(kv, record('box-b'));
    clock += 4000;
    expect(await b.tick(kv, record('box-b'))).toBe('held');
    await b.release(kv);
    expect(await a.tick(kv, record('box-a'))).toBe('held');
    expect(checks).toBe(2);
  });
});
