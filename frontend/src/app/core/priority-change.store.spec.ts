import { TestBed } from '@angular/core/testing';
import { type Client, TrainyardApiError } from '@trainyard/sdk';
import { API } from './api';
import { PriorityChangeStore } from './priority-change.store';
import { ToastStore } from './toast.store';

describe(PriorityChangeStore.name, () => {
  let client: { patch: ReturnType<typeof vi.fn> };
  let sut: PriorityChangeStore;
  let toasts: ToastStore;
  const job = { queue_id: 'q_1796000000000_0000000a', name: 'train', priority: 0 };

  beforeEach(() => {
    client = { patch: vi.fn(async () => ({ data: { ...job, priority: 5 } })) };
    TestBed.configureTestingModule({ providers: [{ provide: API, useValue: client as unknown as Client }] });
    sut = TestBed.inject(PriorityChangeStore);
    toasts = TestBed.inject(ToastStore);
    sut.ask(job);
  });

  it.each(['', '1.5', 'high', '2000001', '-2000001'])(
    'refuses %j naming the field and its bounds, without asking the server',
    async (text) => {
      expect(await sut.save(text)).toBe(false);
      expect(sut.error()).toMatch(/^Priority must be a whole number from -1,000,000 to 1,000,000/);
      expect(client.patch).not.toHaveBeenCalled();
      expect(sut.target()).toEqual(job);
    },
  );

  it('sends PATCH /api/queue/{id} with the new priority, then closes and says what changed', async () => {
    expect(await sut.save(' 5 ')).toBe(true);
    expect(client.patch).toHaveBeenCalledWith(
      expect.objectContaining({
        url: '/api/queue/{queue_id}',
        path: { queue_id: job.queue_id },
        body: { priority: 5 },
      }),
    );
    expect(sut.target()).toBeNull();
    expect(toasts.toasts().map((t) => t.message)).toEqual(['train: priority 0 → 5.']);
  });

  it("keeps the dialog open with the server's reason when the job is no longer queued", async () => {
    client.patch.mockRejectedValueOnce(
      new TrainyardApiError(409, 'JOB_NOT_QUEUED', `${job.queue_id} is running, not queued`),
    );
    expect(await sut.save('5')).toBe(false);
    expect(sut.error()).toBe(`${job.queue_id} is running, not queued`);
    expect(sut.target()).toEqual(job);
  });
});
