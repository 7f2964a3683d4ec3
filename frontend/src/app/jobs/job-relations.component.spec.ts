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

  it('shows the array id as a button that lists the array’s jobs', () => {
    const store = TestBed.inject(JobsStore);
    store.statusFilter.set('failed');
    button('a_1_beef').click();
    expect(store.query()).toBe('a_1_beef');
    expect(store.statusFilter()).toBe('all');
  });
});
