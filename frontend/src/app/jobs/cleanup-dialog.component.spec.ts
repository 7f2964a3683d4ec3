import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { Client } from '@trainyard/sdk';
import { API } from '../core/api';
import { AuthStore } from '../core/auth.store';
import { CleanupDialogComponent } from './cleanup-dialog.component';
import { JobsStore } from './jobs.store';

describe(CleanupDialogComponent.name, () => {
  let client: { get: ReturnType<typeof vi.fn>; post: ReturnType<typeof vi.fn> };
  let host: HTMLElement;
  let dialog: CleanupDialogComponent;

  beforeAll(() => {
    // jsdom has <dialog> but not its modal API.
    HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
      this.open = true;
    };
    HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
      this.open = false;
    };
  });

  beforeEach(async () => {
    client = {
      get: vi.fn(async () => ({ data: { items: [], total: 312, next_cursor: null } })),
      post: vi.fn(async () => ({ data: { deleted: ['q_1_a'], kept: [] } })),
    };
    TestBed.configureTestingModule({
      providers: [
        provideRouter([]),
        JobsStore,
        { provide: API, useFactory: () => client as unknown as Client },
        { provide: AuthStore, useValue: { checkSession: async () => false } },
      ],
    });
    const fixture = TestBed.createComponent(CleanupDialogComponent);
    fixture.autoDetectChanges();
    host = fixture.nativeElement as HTMLElement;
    dialog = fixture.componentInstance;
    dialog.open();
    await fixture.whenStable();
  });

  const confirmButton = () => host.querySelector<HTMLButtonElement>('button[type="submit"]')!;
  const cleanupCalls = () => client.post.mock.calls.filter(([o]) => o.url === '/api/jobs/cleanup');
  const settle = () => new Promise((r) => setTimeout(r));

  it('opens with focus on Cancel, so a bare Enter deletes nothing', async () => {
    document.body.appendChild(host);
    dialog.open();
    await vi.waitFor(() =>
      expect(document.activeElement).toBe(host.querySelector('[data-confirm="cancel"]')),
    );
    expect((document.activeElement as HTMLButtonElement).type).toBe('button');
    host.remove();
  });

  it('states how many finished jobs the server holds, not how many rows are loaded', async () => {
    await vi.waitFor(() => expect(confirmButton().textContent!.trim()).toBe('Delete 312 jobs'));
    expect(client.get).toHaveBeenCalledWith(
      expect.objectContaining({ url: '/api/jobs', query: { status: 'done,failed,aborted', limit: 1 } }),
    );
    confirmButton().click();
    await vi.waitFor(() => expect(cleanupCalls()).toHaveLength(1));
    // All statuses and any age: the plain "clean up finished" request.
    expect(cleanupCalls()[0][0].query).toEqual({});
  });

  it('sends the age and the statuses chosen, as the CLI does (--older-than 7d --status failed,aborted)', async () => {
    const age = host.querySelector<HTMLSelectElement>('select[name="age"]')!;
    age.value = '7d';
    age.dispatchEvent(new Event('change'));
    const done = host.querySelector<HTMLInputElement>('input[name="status-done"]')!;
    done.checked = false;
    done.dispatchEvent(new Event('change'));
    await settle();
    expect(host.querySelector('#cleanup-title + p')!.textContent).toContain(
      'Every failed and aborted job that ended more than 7d ago is deleted with its log',
    );
    const before = Date.now();
    confirmButton().click();
    await vi.waitFor(() => expect(cleanupCalls()).toHaveLength(1));
    const query = cleanupCalls()[0][0].query as { ended_before: string; status: string };
    expect(query.status).toBe('failed,aborted');
    const ago = before - Date.parse(query.ended_before);
    expect(Math.abs(ago - 7 * 86_400_000)).toBeLessThan(60_000);
  });

  it('takes a typed duration and names a bad one under the field, sending nothing', async () => {
    const age = host.querySelector<HTMLSelectElement>('select[name="age"]')!;
    age.value = 'other';
    age.dispatchEvent(new Event('change'));
    await settle();
    const typed = host.querySelector<HTMLInputElement>('input[name="older-than"]')!;
    typed.value = 'soon';
    typed.dispatchEvent(new Event('input'));
    await settle();
    expect(host.querySelector('#cleanup-older-than-hint')!.textContent).toBe(
      'Type a duration like 7d, 12h or 90m (at most 36500d)',
    );
    expect(confirmButton().disabled).toBe(true);
    // Beyond 100 years "now minus" is no date the API takes (it read -000711-01-08… for 999999d).
    typed.value = '999999d';
    typed.dispatchEvent(new Event('input'));
    await settle();
    expect(host.querySelector('#cleanup-older-than-hint')!.textContent).toContain('at most 36500d');
    expect(confirmButton().disabled).toBe(true);
    typed.value = '12h';
    typed.dispatchEvent(new Event('input'));
    await settle();
    confirmButton().click();
    await vi.waitFor(() => expect(cleanupCalls()).toHaveLength(1));
    const query = cleanupCalls()[0][0].query as { ended_before: string };
    expect(Math.abs(Date.now() - Date.parse(query.ended_before) - 12 * 3_600_000)).toBeLessThan(60_000);
  });

  it('asks for at least one status', async () => {
    for (const s of ['done', 'failed', 'aborted']) {
      const box = host.querySelector<HTMLInputElement>(`input[name="status-${s}"]`)!;
      box.checked = false;
      box.dispatchEvent(new Event('change'));
    }
    await settle();
    expect(host.querySelector('#cleanup-status-hint')!.textContent).toBe('Pick at least one status.');
    expect(confirmButton().disabled).toBe(true);
  });
});
