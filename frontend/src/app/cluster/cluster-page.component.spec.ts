import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { Client } from '@trainyard/sdk';
import { API } from '../core/api';
import { ClusterPageComponent } from './cluster-page.component';
import { clusterApi, clusterMember as member } from './testing/cluster-api.testing';

// Two nodes share the hostname gpu-box; alpha is alone.
const BOX1 = '1111aaaa-0000-4000-8000-000000000001';
const BOX2 = '2222bbbb-0000-4000-8000-000000000002';
const ALPHA = '3333cccc-0000-4000-8000-000000000003';

const MEMBERS = [
  member(BOX1, 'gpu-box', { is_self: true, is_master: true }),
  member(BOX2, 'gpu-box'),
  member(ALPHA, 'alpha'),
];

function rank(node_rank: number, node_id: string, hostname: string, status: string) {
  return {
    node_rank,
    node_id,
    hostname,
    queue_id: `q_${node_rank}`,
    ifname: 'eth0',
    argv: ['torchrun'],
    status,
  };
}

/** A two-rank bundle (gpu-box twice) with this rolled-up status. */
function bundle(id: string, status: string, ranks: string[], cancelled_at: string | null = null) {
  return {
    id,
    name: id,
    script: '/w/train.py',
    status,
    state: 'submitted',
    failure_reason: null,
    cancelled_at,
    rdzv_endpoint: '10.0.0.1:29400',
    rdzv_id: 'r',
    ranks: [rank(0, BOX1, 'gpu-box', ranks[0]), rank(1, BOX2, 'gpu-box', ranks[1])],
  };
}

const BUNDLES = [
  bundle('b-running', 'running', ['running', 'done']),
  bundle('b-queued', 'queued', ['queued', 'queued']),
  // Rank 1's node did not answer; rank 0 is done: nothing a cancel could stop.
  bundle('b-unknown', 'unknown', ['done', 'unknown']),
  bundle('b-done', 'done', ['done', 'done']),
  bundle('b-submitting', 'submitting', ['unknown', 'unknown']),
  bundle('b-cancelling', 'running', ['running', 'cancelled'], '2026-01-01T00:00:00.000Z'),
  // Rolled back: rank 1's node refused it, so it has no job; rank 0's was cancelled.
  {
    ...bundle('b-rolled-back', 'failed', []),
    state: 'failed',
    failure_reason: 'gpu-box (2222bbbb) refused rank 1: not enough GPUs',
    ranks: [
      rank(0, BOX1, 'gpu-box', 'cancelled'),
      { ...rank(1, BOX2, 'gpu-box', 'not_queued'), queue_id: null },
    ],
  },
];

describe('Cluster page', () => {
  /** What GET /api/cluster/jobs says there are in all (its page is BUNDLES). */
  let bundlesTotal = BUNDLES.length;
  beforeEach(() => {
    bundlesTotal = BUNDLES.length;
    const cluster = clusterApi(MEMBERS, () =>
      MEMBERS.map((m) => ({
        node_id: m.node_id,
        hostname: m.hostname,
        reachable: true,
        gpus: { gpus: [{ index: 0, name: 'H100', disabled: false, reserved_by: null }] },
        idle_eligible: 1,
        error: null,
      })),
    );
    const client = {
      get: vi.fn(async ({ url }: { url: string }) => {
        const answer = cluster(url);
        if (answer) return answer;
        if (url === '/api/cluster/jobs') return { data: { items: BUNDLES, total: bundlesTotal } };
        if (url === '/api/cluster/latency' || url === '/api/cluster/bandwidth')
          return { data: { items: [] } };
        throw new Error(`unexpected GET ${url}`);
      }),
      post: vi.fn(),
    };
    TestBed.configureTestingModule({
      providers: [provideRouter([]), { provide: API, useValue: client as unknown as Client }],
    });
  });

  async function render() {
    const fixture = TestBed.createComponent(ClusterPageComponent);
    fixture.detectChanges();
    const root = fixture.nativeElement as HTMLElement;
    await vi.waitFor(() => {
      fixture.detectChanges();
      expect(root.querySelectorAll('tr[data-bundle]').length).toBe(BUNDLES.length);
    });
    return { fixture, root };
  }

  const text = (el: Element | null) => el!.textContent!.replace(/\s+/g, ' ').trim();

  it('names nodes that share a hostname with a node id suffix: cards, GPU switches, ranks, probes', async () => {
    const { fixture, root } = await render();
    const card = (id: string) => root.querySelector(`article[data-node="${id}"]`)!;
    expect(text(card(BOX1).querySelector('strong'))).toBe('gpu-box · 1111aaaa');
    expect(text(card(BOX2).querySelector('strong'))).toBe('gpu-box · 2222bbbb');
    expect(text(card(ALPHA).querySelector('strong'))).toBe('alpha');
    expect(card(BOX2).querySelector('.toggle')!.getAttribute('aria-label')).toBe(
      'GPU 0 on gpu-box · 2222bbbb enabled',
    );
    const ranks = [...root.querySelectorAll('tr[data-bundle="b-running"] .rank')].map(text);
    expect(ranks).toEqual(['0 · gpu-box · 1111aaaa · running', '1 · gpu-box · 2222bbbb · done']);
    // The probe table lists the peers (not this node).
    expect([...root.querySelectorAll('tr[data-peer] td:first-child')].map(text)).toEqual([
      'alpha',
      'gpu-box · 2222bbbb',
    ]);
    // A node's jobs heading too.
    (card(BOX2).querySelector('.jobs-btn') as HTMLButtonElement).click();
    fixture.detectChanges();
    expect(text(root.querySelector('.node-jobs h3'))).toBe('Jobs on gpu-box · 2222bbbb');
    fixture.destroy();
  });

  it("says a rolled-back bundle's rank its node never queued is not queued, not cancelled", async () => {
    const { fixture, root } = await render();
    const ranks = [...root.querySelectorAll('tr[data-bundle="b-rolled-back"] .rank')].map(text);
    expect(ranks).toEqual(['0 · gpu-box · 1111aaaa · cancelled', '1 · gpu-box · 2222bbbb · not queued']);
    fixture.destroy();
  });

  it('says when the list shows only the newest page of the cluster jobs, and not when it shows them all', async () => {
    const all = await render();
    expect(all.root.querySelector('.bundles-more')).toBeNull();
    all.fixture.destroy();
    bundlesTotal = 250;
    const { fixture, root } = await render();
    expect(text(root.querySelector('.bundles-more'))).toBe(
      `The newest ${BUNDLES.length} of 250 (trainyard cluster jobs --limit N lists more)`,
    );
    fixture.destroy();
  });

  it('offers Cancel only on queued or running bundles not cancelled yet', async () => {
    const { fixture, root } = await render();
    const withCancel = [...root.querySelectorAll<HTMLElement>('tr[data-bundle]')]
      .filter((tr) => [...tr.querySelectorAll('button')].some((b) => text(b) === 'Cancel'))
      .map((tr) => tr.dataset['bundle']);
    expect(withCancel).toEqual(['b-running', 'b-queued']);
    fixture.destroy();
  });
});

describe('Cluster page with a down node and a gated GPU', () => {
  // alpha stopped sending heartbeats at 10:02:03 today; gpu-box's GPU 0 takes only priority ≥ 10.
  const lastSeen = new Date();
  lastSeen.setHours(10, 2, 3, 0);
  const members = [
    member(BOX1, 'gpu-box', { is_self: true, is_master: true }),
    member(ALPHA, 'alpha', { reachable: false, last_seen_at: lastSeen.toISOString() }),
  ];
  const down = `node ${ALPHA} is not reachable: it is down or not connected to NATS (nothing answers jobs)`;
  let get: ReturnType<typeof vi.fn>;

  beforeEach(() => {
    const gpu = (index: number, min_priority: number | null) => ({
      index,
      name: 'H100',
      disabled: false,
      reserved_by: null,
      min_priority,
    });
    const cluster = clusterApi(members, () => [
      {
        node_id: BOX1,
        hostname: 'gpu-box',
        reachable: true,
        gpus: { gpus: [gpu(0, 10), gpu(1, null)] },
        idle_eligible: 1,
        error: null,
      },
      {
        node_id: ALPHA,
        hostname: 'alpha',
        reachable: false,
        gpus: null,
        idle_eligible: null,
        error: down.replace('jobs)', 'gpus)'),
      },
    ]);
    get = vi.fn(async ({ url, path }: { url: string; path?: { node_id: string } }) => {
      const answer = cluster(url);
      if (answer) return answer;
      if (url === '/api/cluster/nodes/{node_id}/jobs') {
        if (path?.node_id === ALPHA) throw new Error(down);
        return { data: { items: [] } };
      }
      if (url === '/api/cluster/jobs' || url === '/api/cluster/latency' || url === '/api/cluster/bandwidth')
        return { data: { items: [] } };
      throw new Error(`unexpected GET ${url}`);
    });
    TestBed.configureTestingModule({
      providers: [provideRouter([]), { provide: API, useValue: { get, post: vi.fn() } as unknown as Client }],
    });
  });

  async function render() {
    const fixture = TestBed.createComponent(ClusterPageComponent);
    const root = fixture.nativeElement as HTMLElement;
    await vi.waitFor(() => {
      fixture.detectChanges();
      expect(root.querySelectorAll('article[data-node]').length).toBe(2);
      expect(root.querySelectorAll('tr[data-peer]').length).toBe(1);
    });
    return { fixture, root };
  }

  const text = (el: Element | null) => el!.textContent!.replace(/\s+/g, ' ').trim();

  it("says a down node is unreachable and since when; the server's error only under Details", async () => {
    const { fixture, root } = await render();
    const card = root.querySelector(`article[data-node="${ALPHA}"]`)!;
    expect(text(card.querySelector('.headline'))).toBe('Unreachable since 10:02:03');
    expect(text(card.querySelector('.no-answer p.muted'))).toBe(
      'No heartbeat since then: the node is down or not connected to NATS.',
    );
    expect(text(card.querySelector('details code'))).toContain(`node ${ALPHA} is not reachable`);
    fixture.destroy();
  });

  it('shows the priority gate of a gated GPU', async () => {
    const { fixture, root } = await render();
    const row = (i: number) => root.querySelector(`article[data-node="${BOX1}"] li[data-gpu="${i}"]`)!;
    expect(text(row(0).querySelector('.gate'))).toBe('Priority ≥ 10');
    expect(row(1).querySelector('.gate')).toBeNull();
    fixture.destroy();
  });

  it("disables the down peer's probe Refresh and says why", async () => {
    const { fixture, root } = await render();
    const refresh = root.querySelector<HTMLButtonElement>(`tr[data-peer="${ALPHA}"] button`)!;
    expect(refresh.disabled).toBe(true);
    expect(refresh.title).toBe('alpha is unreachable (no heartbeat): nothing to measure until it is back');
    fixture.destroy();
  });

  it('says a job list that could not be read could not, and why (not "No jobs"); Try again reads again', async () => {
    const { fixture, root } = await render();
    const jobsOf = (id: string) =>
      root.querySelector<HTMLButtonElement>(`article[data-node="${id}"] .jobs-btn`)!.click();
    const reads = () => get.mock.calls.filter(([o]) => o.url === '/api/cluster/nodes/{node_id}/jobs').length;

    jobsOf(ALPHA);
    await vi.waitFor(() => {
      fixture.detectChanges();
      expect(text(root.querySelector('.node-jobs [role=alert]'))).toBe(
        `Could not read the jobs of alpha: ${down}.`,
      );
    });
    expect(text(root.querySelector('.node-jobs'))).not.toContain('No jobs');
    const before = reads();
    [...root.querySelectorAll<HTMLButtonElement>('.node-jobs button')]
      .find((b) => text(b) === 'Try again')!
      .click();
    expect(reads()).toBe(before + 1);

    // An empty list that was read says so.
    jobsOf(BOX1);
    fixture.detectChanges();
    expect(text(root.querySelector('.node-jobs td'))).toBe('Loading…');
    await vi.waitFor(() => {
      fixture.detectChanges();
      expect(text(root.querySelector('.node-jobs td'))).toBe('No jobs');
    });
    fixture.destroy();
  });
});

describe('Cluster page on a server refused its node id', () => {
  // This server has BOX1's id, which another live server holds: BOX1's row is that server's.
  const holder = member(BOX1, 'gpu-box', { is_master: true });
  const members = [holder, member(ALPHA, 'alpha')];

  beforeEach(() => {
    const cluster = clusterApi(members, () =>
      members.map((m) => ({
        node_id: m.node_id,
        hostname: m.hostname,
        reachable: true,
        gpus: { gpus: [] },
        idle_eligible: 0,
        error: null,
      })),
    );
    const get = vi.fn(async ({ url }: { url: string }) => {
      if (url === '/api/cluster/self')
        return { data: { cluster: 'lab', node: { ...holder, is_self: true }, refused: true } };
      const answer = cluster(url);
      if (answer) return answer;
      if (url === '/api/cluster/jobs' || url === '/api/cluster/latency' || url === '/api/cluster/bandwidth')
        return { data: { items: [] } };
      throw new Error(`unexpected GET ${url}`);
    });
    TestBed.configureTestingModule({
      providers: [provideRouter([]), { provide: API, useValue: { get, post: vi.fn() } as unknown as Client }],
    });
  });

  it("tags the holder's card as holding this server's node id, not as this node", async () => {
    const fixture = TestBed.createComponent(ClusterPageComponent);
    const root = fixture.nativeElement as HTMLElement;
    await vi.waitFor(() => {
      fixture.detectChanges();
      expect(root.querySelectorAll('article[data-node]').length).toBe(2);
    });
    const tags = (id: string) =>
      [...root.querySelectorAll(`article[data-node="${id}"] .tag`)].map((t) => t.textContent!.trim());
    expect(tags(BOX1)).toEqual(["holds this server's node id"]);
    expect(tags(ALPHA)).toEqual([]);
    fixture.destroy();
  });
});
