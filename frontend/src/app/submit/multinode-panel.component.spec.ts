import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { type Client, type JobTypeDto, TrainyardApiError } from '@trainyard/sdk';
import { ClusterStore } from '../cluster/cluster.store';
import {
  type ClusterQuery,
  clusterApi,
  clusterMember as member,
} from '../cluster/testing/cluster-api.testing';
import { API } from '../core/api';
import { SubmitLauncher } from '../core/submit-launcher';
import { SubmitDialogComponent } from './submit-dialog.component';

const TYPES = [
  {
    name: 'command',
    description: 'Runs a command',
    default_gpus: 0,
    service_port_param: null,
    can_be_service: true,
    params: [{ name: 'argv', type: 'string_list', description: 'argv', required: true, min: 1 }],
  },
  {
    name: 'training',
    description: 'torchrun',
    default_gpus: 1,
    service_port_param: null,
    can_be_service: false,
    params: [
      { name: 'script', type: 'path', description: 'script', required: true },
      { name: 'args', type: 'string_list', description: 'args', required: false },
      { name: 'nproc_per_node', type: 'integer', description: 'workers', required: false, min: 1 },
      { name: 'torchrun', type: 'string', description: 'torchrun', required: false, default: 'torchrun' },
    ],
  },
] as unknown as JobTypeDto[];

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const GONE = 'cccccccc-0000-4000-8000-000000000003';

function gpu(index: number, extra: Record<string, unknown> = {}) {
  return { index, excluded: false, disabled: false, reserved_by: null, min_priority: null, ...extra };
}

const MEMBERS = [
  member(B, 'beta'),
  member(A, 'alpha', { is_self: true, is_master: true }),
  member(GONE, 'gone', { reachable: false }),
];

const BUNDLE = {
  id: 'cj_1700000000000_0123abcd',
  name: null,
  rdzv_endpoint: '10.0.0.5:29400',
  ranks: [{}, {}],
  warnings: [],
};

describe('Multi-node panel (submit dialog)', () => {
  let client: { get: ReturnType<typeof vi.fn>; post: ReturnType<typeof vi.fn> };
  let clustered: boolean;

  beforeAll(() => {
    HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
      this.open = true;
    };
    HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
      this.open = false;
    };
  });

  beforeEach(() => {
    localStorage.clear();
    localStorage.setItem('trainyard.submit', JSON.stringify({ lastType: 'training' }));
    clustered = true;
    // The server's counts for the asked priority (a GPU of B is reserved for priority ≥ 5).
    const cluster = clusterApi(MEMBERS, (query) => [
      { node_id: A, gpus: { gpus: [gpu(0), gpu(1, { reserved_by: 'q_1' })] }, idle_eligible: 1 },
      {
        node_id: B,
        gpus: { gpus: [gpu(0), gpu(1, { min_priority: 5 }), gpu(2, { disabled: true })] },
        idle_eligible: (query?.priority ?? 0) >= 5 ? 2 : 1,
      },
    ]);
    client = {
      get: vi.fn(async ({ url, query }: { url: string; query?: ClusterQuery }) => {
        if (url === '/api/job-types') return { data: TYPES };
        if (url === '/api/cluster/self' && !clustered) return { data: null };
        const answer = cluster(url, query);
        if (answer) return answer;
        throw new Error(`unexpected GET ${url}`);
      }),
      post: vi.fn(async () => ({ data: BUNDLE })),
    };
    TestBed.configureTestingModule({
      providers: [provideRouter([]), { provide: API, useValue: client as unknown as Client }],
    });
  });

  async function settle(fixture: { whenStable(): Promise<unknown>; detectChanges(): void }) {
    for (let i = 0; i < 4; i++) {
      await fixture.whenStable();
      fixture.detectChanges();
    }
  }

  async function open() {
    const fixture = TestBed.createComponent(SubmitDialogComponent);
    TestBed.inject(SubmitLauncher).show();
    fixture.detectChanges();
    await vi.waitFor(() => expect(TestBed.inject(ClusterStore).self()).not.toBeUndefined());
    await settle(fixture);
    const root = fixture.nativeElement as HTMLElement;
    const q = <T extends Element>(selector: string) => root.querySelector<T>(selector);
    const type = (selector: string, value: string) => {
      const el = q<HTMLInputElement>(selector)!;
      el.value = value;
      el.dispatchEvent(new Event('input'));
      fixture.detectChanges();
    };
    const click = (el: HTMLInputElement | null) => {
      el!.click();
      fixture.detectChanges();
    };
    const mode = (label: string) =>
      click(
        [...root.querySelectorAll<HTMLLabelElement>('.modes label')]
          .find((l) => l.textContent?.includes(label))!
          .querySelector('input'),
      );
    const submit = async () => {
      q('form')!.dispatchEvent(new Event('submit', { cancelable: true }));
      await settle(fixture);
    };
    return { fixture, root, q, type, click, mode, submit };
  }

  it('is not there on a standalone server, and a training job goes to /api/queue', async () => {
    clustered = false;
    const ctx = await open();
    expect(ctx.q<HTMLSelectElement>('#job-type')!.value).toBe('training');
    expect(ctx.q('ty-multinode-panel')).toBeNull();
    ctx.type('#param-script', '/w/train.py');
    await ctx.submit();
    expect(client.post.mock.calls[0][0].url).toBe('/api/queue');
  });

  it('in a cluster, lists the reachable nodes with their idle eligible GPUs, this node first and ticked', async () => {
    const ctx = await open();
    expect(ctx.q('ty-multinode-panel')).not.toBeNull();
    // "This node only" keeps the regular submit and its GPUs field.
    expect(ctx.q('#submit-gpus')).not.toBeNull();
    ctx.mode('Chosen nodes');
    await settle(ctx.fixture);
    const rows = [...ctx.root.querySelectorAll<HTMLTableRowElement>('ty-multinode-panel tbody tr')];
    expect(rows.map((r) => r.dataset['node'])).toEqual([A, B]); // "gone" is unreachable
    expect(rows[0].querySelector<HTMLInputElement>('input[type=checkbox]')!.checked).toBe(true);
    expect(rows[1].querySelector<HTMLInputElement>('input[type=checkbox]')!.checked).toBe(false);
    expect(rows[0].querySelector('.idle')!.textContent!.trim()).toBe('1 idle of 2');
    expect(rows[1].querySelector('.idle')!.textContent!.trim()).toBe('1 idle of 3');
    // The per-node GPUs replace the single-node field.
    expect(ctx.q('#submit-gpus')).toBeNull();
  });

  it("shows the server's idle eligible counts for the dialog's priority, asked again when it changes", async () => {
    const ctx = await open();
    ctx.mode('Chosen nodes');
    await settle(ctx.fixture);
    const idleOfB = () => ctx.q(`tr[data-node="${B}"] .idle`)!.textContent!.trim();
    expect(idleOfB()).toBe('1 idle of 3');
    ctx.type('#submit-priority', '5');
    await settle(ctx.fixture);
    expect(idleOfB()).toBe('2 idle of 3');
    const asked = client.get.mock.calls.filter(([o]) => o.url === '/api/cluster/gpus').map(([o]) => o.query);
    expect(asked.at(-1)).toEqual({ priority: 5 });
  });

  it('sends the ticked nodes in rank order with their GPUs and interface, and opens the bundle', async () => {
    const ctx = await open();
    const navigate = vi.spyOn(TestBed.inject(Router), 'navigate').mockResolvedValue(true);
    ctx.type('#param-script', '/w/train.py');
    ctx.type('#param-args', '--lr 0.1');
    ctx.type('#param-nproc_per_node', '2');
    ctx.mode('Chosen nodes');
    await settle(ctx.fixture);
    const rows = () => [...ctx.root.querySelectorAll<HTMLTableRowElement>('ty-multinode-panel tbody tr')];
    ctx.click(rows()[1].querySelector<HTMLInputElement>('input[type=checkbox]'));
    ctx.type(`tr[data-node="${B}"] input.num`, '3');
    ctx.type(`tr[data-node="${B}"] input.ifname`, 'eth1');
    ctx.type('#mn-rdzv-port', '29500');
    expect(ctx.q('.modal-actions button[type=submit]')!.textContent!.trim()).toBe('Submit to 2 nodes');
    expect(ctx.q('[data-derived="rdzv"]')!.textContent).toContain('10.0.0.5:29500');
    expect(ctx.q('[data-derived="nnodes"]')!.textContent!.trim()).toBe('2');

    await ctx.submit();

    expect(client.post).toHaveBeenCalledTimes(1);
    const request = client.post.mock.calls[0][0];
    expect(request.url).toBe('/api/cluster/jobs/submit');
    expect(request.body).toEqual({
      script: '/w/train.py',
      args: ['--lr', '0.1'],
      torchrun: 'torchrun',
      priority: 0,
      participants: [
        { node_id: A, gpus: 1, nproc_per_node: 2 },
        { node_id: B, gpus: 3, nproc_per_node: 2, ifname: 'eth1' },
      ],
      rdzv_port: 29500,
    });
    expect(navigate).toHaveBeenCalledWith(['/cluster'], { queryParams: { bundle: BUNDLE.id } });
  });

  it('sends "any N nodes × G GPUs" as nodes + gpus_per_node', async () => {
    const ctx = await open();
    vi.spyOn(TestBed.inject(Router), 'navigate').mockResolvedValue(true);
    ctx.type('#param-script', '/w/train.py');
    ctx.mode('Any N nodes');
    ctx.type('#mn-nodes', '2');
    ctx.type('#mn-gpus-per-node', '4');
    await ctx.submit();
    expect(client.post.mock.calls[0][0].body).toEqual({
      script: '/w/train.py',
      torchrun: 'torchrun',
      priority: 0,
      nodes: 2,
      gpus_per_node: 4,
      rdzv_port: 29400,
    });
  });

  it('stops bad panel input before it reaches the server', async () => {
    const ctx = await open();
    ctx.type('#param-script', '/w/train.py');
    ctx.mode('Any N nodes');
    ctx.type('#mn-nodes', 'two');
    ctx.type('#mn-rdzv-port', '70000');
    await ctx.submit();
    expect(client.post).not.toHaveBeenCalled();
    expect(ctx.q('#mn-nodes-hint')!.textContent!.trim()).toBe('A whole number, 1 to 256.');
    expect(ctx.q('#mn-nodes')!.getAttribute('aria-invalid')).toBe('true');
    expect(ctx.q('#mn-rdzv-port-hint')!.textContent!.trim()).toBe('A port, 1 to 65535.');
  });

  it('on a 409 version mismatch points at "Allow version mismatch", and the retry sends it', async () => {
    client.post
      .mockRejectedValueOnce(
        new TrainyardApiError(409, 'VERSION_MISMATCH', "the nodes' versions differ: torch 2.4 vs 2.5", [
          { field: 'torch', message: 'torch 2.4 vs 2.5' },
        ]),
      )
      .mockResolvedValueOnce({ data: BUNDLE });
    const ctx = await open();
    vi.spyOn(TestBed.inject(Router), 'navigate').mockResolvedValue(true);
    ctx.type('#param-script', '/w/train.py');
    ctx.mode('Any N nodes');
    await ctx.submit();

    expect(client.post.mock.calls[0][0].body.allow_version_mismatch).toBeUndefined();
    const alert = ctx.q('[data-testid="multinode-error"]')!;
    expect(alert.getAttribute('role')).toBe('alert');
    expect(alert.textContent).toContain('torch 2.4 vs 2.5');
    expect(alert.textContent).toContain('Allow version mismatch');
    await vi.waitFor(() => expect(document.activeElement?.id).toBe('mn-allow-mismatch'));

    ctx.click(ctx.q<HTMLInputElement>('#mn-allow-mismatch'));
    await ctx.submit();
    expect(client.post).toHaveBeenCalledTimes(2);
    expect(client.post.mock.calls[1][0].body.allow_version_mismatch).toBe(true);
  });

  it("shows a 422 on the node's row it names and a node's refusal in the panel", async () => {
    const ctx = await open();
    ctx.type('#param-script', '/w/train.py');
    ctx.mode('Chosen nodes');
    await settle(ctx.fixture);
    ctx.click(ctx.q<HTMLInputElement>(`tr[data-node="${B}"] input[type=checkbox]`));
    client.post.mockRejectedValueOnce(
      new TrainyardApiError(422, 'NO_NETWORK_INTERFACE', 'no interface on beta carries 10.0.0.4; name one', [
        { field: 'participants[1].ifname', message: 'no interface on beta carries 10.0.0.4; name one' },
      ]),
    );
    await ctx.submit();
    expect(ctx.q(`tr[data-node="${B}"] .bad`)!.textContent).toContain('no interface on beta');
    expect(ctx.q(`tr[data-node="${A}"] .bad`)).toBeNull();
    // Naming the interface clears that row's error.
    ctx.type(`tr[data-node="${B}"] input.ifname`, 'eth1');
    expect(ctx.q(`tr[data-node="${B}"] .bad`)).toBeNull();
    expect(ctx.q('[data-testid="multinode-error"]')).toBeNull();

    client.post.mockRejectedValueOnce(
      new TrainyardApiError(409, 'GPUS_UNAVAILABLE', 'beta (bbbb) refused rank 1: only 2 GPUs'),
    );
    await ctx.submit();
    expect(ctx.q('[data-testid="multinode-error"]')!.textContent).toContain('refused rank 1: only 2 GPUs');
    expect(ctx.q('#mn-allow-mismatch')!.closest('label')!.classList).not.toContain('attention');
  });
});
