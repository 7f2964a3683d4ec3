import { MasterLease, type LeaseKv } from './master-lease';

/** An in-memory KV key with the compare-and-set semantics of a JetStream KV (one revision counter). */
class FakeKv implements LeaseKv {
  revision = 0;
  value: { revision: number; operation: string; data: string } | null = null;
  down = false;

  private check() {
    if (this.down) throw new Error('TIMEOUT');
  }
  async get() {
    this.check();
    const v = this.value;
    return v
      ? { revision: v.revision, operation: v.operation, json: <T>() => JSON.parse(v.data) as T }
      : null;
  }
  async create(_key: string, data: string) {
    this.check();
    if (this.value && this.value.operation === 'PUT') throw new Error('wrong last sequence: 1');
    this.value = { revision: ++this.revision, operation: 'PUT', data };
    return this.revision;
  }
  async update(_key: string, data: string, revision: number) {
    this.check();
    if (this.value?.revision !== revision) throw new Error(`wrong last sequence: ${this.value?.revision}`);
    this.value = { revision: ++this.revision, operation: 'PUT', data };
    return this.revision;
  }
  async delete(_key: string, opts?: { previousSeq?: number }) {
    this.check();
    if (opts?.previousSeq !== undefined && this.value?.revision !== opts.previousSeq)
      throw new Error('wrong last sequence');
    this.value = { revision: ++this.revision, operation: 'DEL', data: '' };
  }
}

describe(MasterLease.name, () => {
  let clock = 0;
  const now = () => clock;
  const TTL = 3000;

  beforeEach(() => (clock = 0));

  it('one node takes a free lease; the others see it and do not', async () => {
    const kv = new FakeKv();
    const [a, b, c] = ['a', 'b', 'c'].map((id) => new MasterLease(id, TTL, now));
    await Promise.all([a.tick(kv), b.tick(kv), c.tick(kv)]);
    await Promise.all([a.tick(kv), b.tick(kv), c.tick(kv)]);
    expect([a, b, c].filter((l) => l.isMaster)).toHaveLength(1);
    const master = [a, b, c].find((l) => l.isMaster)!;
    for (const l of [a, b, c]) expect(l.current()?.node_id).toBe(master.nodeId);
  });

  it('a server refused its node id (it only watches) shows the other server with that id as master', async () => {
    const kv = new FakeKv();
    const holder = new MasterLease('a', TTL, now);
    const twin = new MasterLease('a', TTL, now);
    await holder.tick(kv);
    const entry = (await kv.get())!;
    twin.observe(entry.revision, entry.json());
    expect(twin.isMaster).toBe(false);
    expect(twin.current()).toMatchObject({ node_id: 'a', revision: entry.revision });
    // The holder stops: it no longer names itself, and the twin sees the lease go.
    await holder.release(kv);
    expect(holder.current()).toBeNull();
    twin.observe(kv.value!.revision, null);
    expect(twin.current()).toBeNull();
  });

  it('when the holder stops renewing, another takes over after the TTL, never two at once', async () => {
    const kv = new FakeKv();
    const a = new MasterLease('a', TTL, now);
    const b = new MasterLease('b', TTL, now);
    const c = new MasterLease('c', TTL, now);
    await a.tick(kv);
    const firstRevision = a.current()!.revision;
    for (let t = 0; t < 10; t++) {
      clock += 1000;
      await Promise.all([a.tick(kv), b.tick(kv), c.tick(kv)]);
    }
    expect(a.isMaster).toBe(true);
    // a dies: it stops ticking. Every second from now on at most one of b, c (and a's own view) is master.
    let takenAt: number | null = null;
    for (let t = 0; t < 8; t++) {
      clock += 1000;
      await Promise.all([b.tick(kv), c.tick(kv)]);
      const masters = [a, b, c].filter((l) => l.isMaster);
      expect(masters.length).toBeLessThanOrEqual(1);
      if (masters.length === 1 && masters[0] !== a && takenAt === null) takenAt = (t + 1) * 1000;
    }
    expect(takenAt).not.toBeNull();
    // Here the others read the last renewal one tick late (their get ran before it): TTL + one tick.
    expect(takenAt!).toBeLessThanOrEqual(TTL + 1000);
    const next = [b, c].find((l) => l.isMaster)!;
    expect(next.current()!.revision).toBeGreaterThan(firstRevision);
  });

  it('a holder cut off from NATS stops counting itself master before anyone else can take over', async () => {
    const kv = new FakeKv();
    const a = new MasterLease('a', TTL, now);
    const b = new MasterLease('b', TTL, now);
    await a.tick(kv);
    await b.tick(kv);
    kv.down = true; // a's renewals fail from here on; b cannot write either
    clock += TTL;
    await expect(a.tick(kv)).rejects.toThrow('TIMEOUT');
    expect(a.isMaster).toBe(false);
  });

  it('release hands the lease over at once', async () => {
    const kv = new FakeKv();
    const a = new MasterLease('a', TTL, now);
    const b = new MasterLease('b', TTL, now);
    await a.tick(kv);
    await b.tick(kv);
    await a.release(kv);
    await b.tick(kv);
    expect(b.isMaster).toBe(true);
    expect(a.isMaster).toBe(false);
  });

  it('the fencing token stays through renewals and grows with each new term (another holder, or the same one again)', async () => {
    const kv = new FakeKv();
    const a = new MasterLease('a', TTL, now);
    const b = new MasterLease('b', TTL, now);
    await a.tick(kv);
    const term = a.current()!.revision;
    for (let t = 0; t < 5; t++) {
      clock += 1000;
      await a.tick(kv);
      await b.tick(kv);
      // Both the holder and the others read the same token while the term lasts.
      expect(a.current()!.revision).toBe(term);
      expect(b.current()).toMatchObject({ node_id: 'a', revision: term });
    }
    // a lapses (a stall longer than the TTL) and takes the lease again: a new term, a larger token.
    clock += TTL + 1000;
    await a.tick(kv);
    const again = a.current()!.revision;
    expect(again).toBeGreaterThan(term);
    clock += 1000;
    await a.tick(kv);
    await b.tick(kv);
    expect(b.current()).toMatchObject({ node_id: 'a', revision: again });
    // a stops; b takes over: larger again.
    clock += TTL + 1000;
    await b.tick(kv);
    clock += TTL + 1000;
    await b.tick(kv);
    expect(b.isMaster).toBe(true);
    expect(b.current()!.revision).toBeGreaterThan(again);
  });
});
