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
];

describe('Cluster page', () => {
  beforeEach(() => {
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
        if (url === '/api/cluster/jobs') return { data: { items: BUNDLES } };
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

  it('offers Cancel only on queued or running bundles not cancelled yet', async () => {
    const { fixture, root } = await render();
    const withCancel = [...root.querySelectorAll<HTMLElement>('tr[data-bundle]')]
      .filter((tr) => [...tr.querySelectorAll('button')].some((b) => text(b) === 'Cancel'))
      .map((tr) => tr.dataset['bundle']);
    expect(withCancel).toEqual(['b-running', 'b-queued']);
    fixture.destroy();
  });
});
