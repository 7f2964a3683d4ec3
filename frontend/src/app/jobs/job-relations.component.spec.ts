import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import type { ArrayDto, Client, JobDto } from '@trainyard/sdk';
import { API } from '../core/api';
import { AuthStore } from '../core/auth.store';
import { ConfirmStore } from '../core/confirm.store';
import { JobRelationsComponent } from './job-relations.component';
import { JobsStore } from './jobs.store';

const ARRAY: ArrayDto = {
  array_id: 'a_1_beef',
  counts: { done: 1, failed: 2, aborted: 1 },
  finished: 4,
  total: 4,
  jobs: [],
  max_running: null,
  retried_as: [],
  retryable: 3,
};

describe(JobRelationsComponent.name, () => {
  let client: { get: ReturnType<typeof vi.fn>; post: ReturnType<typeof vi.fn> };
  let host: HTMLElement;

  beforeEach(async () => {
    client = {
      get: vi.fn(async ({ url }: { url: string }) => ({
        data:
          url === '/api/arrays/{array_id}'
            ? ARRAY
            : url.endsWith('/dependents')
              ? []
              : { items: [], total: 0, next_cursor: null },
      })),
      post: vi.fn(async () => ({
        data: { array_id: 'a_2_cafe', total: 3, jobs: [{ queue_id: 'q_2_new' }] },
      })),
    };
    TestBed.configureTestingModule({
      providers: [
        provideRouter([]),
        JobsStore,
        { provide: API, useFactory: () => client as unknown as Client },
        { provide: AuthStore, useValue: { checkSession: async () => false } },
      ],
    });
    const fixture = TestBed.createComponent(JobRelationsComponent);
    fixture.componentRef.setInput('job', {
      queue_id: 'q_1_dead',
      depends_on: [],
      retry_of: null,
      array_id: 'a_1_beef',
      array_index: 1,
    } as unknown as JobDto);
    fixture.autoDetectChanges();
    host = fixture.nativeElement as HTMLElement;
    await vi.waitFor(() => expect(host.textContent).toContain('a_1_beef'));
  });

  const button = (text: string) =>
    [...host.querySelectorAll('button')].find((b) => b.textContent!.trim() === text)!;

  it('asks before Retry failed, saying how many jobs are queued again, and keeps the pane on this job', async () => {
    const navigate = vi.spyOn(TestBed.inject(Router), 'navigate');
    const confirm = TestBed.inject(ConfirmStore);
    button('Retry failed').click();
    await vi.waitFor(() => expect(confirm.pending()).not.toBeNull());
    expect(confirm.pending()!.title).toBe('Retry 3 jobs of array a_1_beef?');
    expect(confirm.pending()!.confirmLabel).toBe('Queue 3 jobs again');
    expect(client.post).not.toHaveBeenCalled();
    confirm.answer(true);
    await vi.waitFor(() => expect(client.post).toHaveBeenCalledTimes(1));
    await new Promise((r) => setTimeout(r));
    expect(navigate).not.toHaveBeenCalled();
  });

  it('shows the array id as a button that filters the list to the array’s jobs (not a text search)', async () => {
    const store = TestBed.inject(JobsStore);
    store.statusFilter.set('failed');
    store.search.set('resnet');
    button('a_1_beef').click();
    expect(store.arrayFilter()).toBe('a_1_beef');
    expect(store.query()).toBe('');
    expect(store.search()).toBe('');
    expect(store.statusFilter()).toBe('all');
    // GET /api/jobs?array_id=: exactly its jobs, not those whose name or command holds the id.
    await vi.waitFor(() =>
      expect(client.get).toHaveBeenCalledWith(
        expect.objectContaining({
          url: '/api/jobs',
          query: expect.objectContaining({ array_id: 'a_1_beef' }),
        }),
      ),
    );
    const last = client.get.mock.calls.filter(([o]) => o.url === '/api/jobs').at(-1)![0];
    expect(last.query.q).toBeUndefined();
  });

  it('shows a held dependent as held under “needed by”, not queued', async () => {
    client.get.mockImplementation(async ({ url }: { url: string }) => ({
      data: url.endsWith('/dependents')
        ? [
            { queue_id: 'q_1_eval', name: 'eval', status: 'queued', held: true, condition: 'after_ok' },
            { queue_id: 'q_1_plot', name: 'plot', status: 'queued', held: false, condition: 'after_any' },
          ]
        : { items: [], total: 0, next_cursor: null },
    }));
    const fixture = TestBed.createComponent(JobRelationsComponent);
    fixture.componentRef.setInput('job', {
      queue_id: 'q_1_train',
      depends_on: [],
      retry_of: null,
      array_id: null,
      array_index: null,
    } as unknown as JobDto);
    fixture.autoDetectChanges();
    const pane = fixture.nativeElement as HTMLElement;
    const group = () => pane.querySelector('[aria-label="Dependents"]');
    await vi.waitFor(() => expect(group()).not.toBeNull());
    expect([...group()!.children].map((e) => e.textContent!.trim())).toEqual([
      'needed by',
      'eval',
      '(held)',
      'plot',
      '(queued)',
    ]);
    expect(group()!.querySelector('a')!.title).toBe('after_ok · queued, held by the user');
  });

  it('names before Cancel array the queued jobs outside the array that will end aborted', async () => {
    const running: ArrayDto = {
      ...ARRAY,
      counts: { done: 1, running: 1, queued: 1 },
      finished: 1,
      total: 3,
      retryable: 0,
      jobs: [
        { queue_id: 'q_1_a0', array_index: 0, status: 'done' as const },
        { queue_id: 'q_1_a1', array_index: 1, status: 'running' as const },
        { queue_id: 'q_1_a2', array_index: 2, status: 'queued' as const },
      ].map((j) => ({
        ...j,
        held: false,
        name: null,
        started_at: null,
        ended_at: null,
        exit_code: null,
        retried_as: null,
        termination_reason: null,
      })),
    };
    const dependents: Record<string, Array<{ queue_id: string; name: string | null; condition: string }>> = {
      // A member of the array waiting for another: cancelled with it, not named.
      q_1_a1: [
        { queue_id: 'q_1_a2', name: null, condition: 'after_ok' },
        { queue_id: 'q_1_report', name: 'report', condition: 'after_ok' },
        { queue_id: 'q_1_watch', name: 'watch', condition: 'after_start' },
      ],
      q_1_a2: [{ queue_id: 'q_1_merge', name: 'merge', condition: 'after_ok' }],
      // Finished: cancelling the array does not touch it or what waits for it.
      q_1_a0: [{ queue_id: 'q_1_later', name: 'later', condition: 'after_ok' }],
    };
    client.get.mockImplementation(async ({ url, path }: { url: string; path?: { queue_id: string } }) => ({
      data:
        url === '/api/arrays/{array_id}'
          ? running
          : url.endsWith('/dependents')
            ? (dependents[path!.queue_id] ?? []).map((d) => ({ ...d, status: 'queued' }))
            : { items: [], total: 0, next_cursor: null },
    }));
    const fixture = TestBed.createComponent(JobRelationsComponent);
    fixture.componentRef.setInput('job', {
      queue_id: 'q_1_a1',
      depends_on: [],
      retry_of: null,
      array_id: 'a_1_beef',
      array_index: 1,
    } as unknown as JobDto);
    fixture.autoDetectChanges();
    const pane = fixture.nativeElement as HTMLElement;
    await vi.waitFor(() => expect(pane.textContent).toContain('Cancel array'));
    const confirm = TestBed.inject(ConfirmStore);
    [...pane.querySelectorAll('button')].find((b) => b.textContent!.trim() === 'Cancel array')!.click();
    await vi.waitFor(() => expect(confirm.pending()).not.toBeNull());
    // The running job launched: its after_start dependent is met, not aborted.
    expect(confirm.pending()!.warning).toBe(
      "2 queued jobs that depend on the array's jobs will end aborted (dependency_failed): report (report), merge (merge).",
    );
    confirm.answer(false);
  });
});
