import { MemberTable, type MemberRecord } from './membership';

const STALE_MS = 3000;

function record(nodeId: string, heartbeatAt: number): MemberRecord {
  return {
    node_id: nodeId,
    hostname: nodeId,
    addresses: ['127.0.0.1'],
    api_url: null,
    versions: {} as MemberRecord['versions'],
    interfaces: [],
    cpu_count: 2,
    cpu_model: null,
    ram_total_bytes: 0,
    gpus: { count: 0, names: [], memory_total_mib: 0 },
    started_at: new Date(0).toISOString(),
    heartbeat_at: new Date(heartbeatAt).toISOString(),
  };
}

describe('MemberTable', () => {
  // NATS' clock; this node's runs `skew` ms ahead of it.
  let nats: number;
  const table = (skew: number) => new MemberTable(STALE_MS, 'self', () => nats + skew);
  const reachable = (t: MemberTable) => Object.fromEntries(t.list().map((m) => [m.node_id, m.reachable]));

  beforeEach(() => (nats = 1_000_000));

  it.each([0, 10_000, -10_000])(
    'shows live members reachable and a member silent since before it started unreachable (clock %i ms off NATS)',
    (skew) => {
      const t = table(skew);
      t.heartbeat(record('dead', nats - 60_000), nats - 60_000); // replayed: stored a minute ago
      t.heartbeat(record('self', nats + skew), nats); // its own heartbeat, sent by its own clock
      nats += 500;
      t.heartbeat(record('peer', nats), nats);
      expect(reachable(t)).toEqual({ dead: false, peer: true, self: true });
      // Silent for longer than the stale limit: unreachable.
      nats += STALE_MS + 1000;
      t.heartbeat(record('self', nats + skew), nats);
      expect(reachable(t)).toEqual({ dead: false, peer: false, self: true });
    },
  );
});

describe('MemberTable.ageOf', () => {
  it.each([
    [0, 0],
    [10_000, -7_000],
    [-10_000, 25_000],
  ])(
    "reads a time sent by another member's clock as its age on NATS' clock (this clock %i ms off NATS, the sender's %i ms)",
    (mine, theirs) => {
      let nats = 1_000_000;
      const t = new MemberTable(STALE_MS, 'self', () => nats + mine);
      expect(t.ageOf('master', nats + theirs)).toBeNull(); // no heartbeat of it yet
      t.heartbeat(record('self', nats + mine), nats);
      t.heartbeat(record('master', nats + theirs), nats);
      const sentAt = nats + theirs; // the master sends an order now, by its clock
      nats += 6_000; // and it is read 6 s later
      expect(t.ageOf('master', sentAt)).toBe(6_000);
      // A heartbeat replayed from before does not replace a newer measurement.
      t.heartbeat(record('master', nats - 60_000 + theirs + 999), nats - 60_000);
      expect(t.ageOf('master', sentAt)).toBe(6_000);
    },
  );

  it("a heartbeat delayed on its way (a busy sender) does not age the sender's orders", () => {
    let nats = 1_000_000;
    const t = new MemberTable(STALE_MS, 'self', () => nats);
    for (let i = 0; i < 3; i++, nats += 1000) {
      t.heartbeat(record('self', nats), nats);
      t.heartbeat(record('master', nats), nats);
    }
    // This node's own next heartbeat was built 1.5 s before NATS stored it (its event loop was busy).
    t.heartbeat(record('self', nats - 1500), nats);
    const sentAt = nats;
    nats += 4000;
    expect(t.ageOf('master', sentAt)).toBe(4000); // not 5,500: the smaller reading is not taken
  });
});
