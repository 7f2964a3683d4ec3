import { TestBed } from '@angular/core/testing';
import type { Client, ServiceDto } from '@trainyard/sdk';
import { API } from '../core/api';
import { ServicesStore } from './services.store';

function service(state: ServiceDto['state']): ServiceDto {
  return { type: 'command', name: 'sleeper', state } as unknown as ServiceDto;
}

interface Pending {
  resolve: (data: ServiceDto[]) => void;
  reject: (err: Error) => void;
}

/**
 * The store over a client whose GET /api/services answers when the test says so, in the order it
 * chooses (`pending`, one per load); running jobs and job types answer at once.
 */
function storeWithHeldAnswers(): { sut: ServicesStore; pending: Pending[] } {
  const pending: Pending[] = [];
  const client = {
    get: vi.fn(async ({ url }: { url: string }) => {
      if (url === '/api/services')
        return new Promise((resolve, reject) =>
          pending.push({ resolve: (data) => resolve({ data }), reject }),
        );
      if (url === '/api/jobs') return { data: { items: [], total: 0, next_cursor: null } };
      return { data: [] }; // job types
    }),
  };
  TestBed.configureTestingModule({
    providers: [ServicesStore, { provide: API, useFactory: () => client as unknown as Client }],
  });
  return { sut: TestBed.inject(ServicesStore), pending };
}

describe(ServicesStore.name, () => {
  it('never lets an older answer replace a newer one when loads overlap', async () => {
    const { sut, pending } = storeWithHeldAnswers();
    const older = sut.load();
    const newer = sut.load();
    await vi.waitFor(() => expect(pending).toHaveLength(2));
    pending[1].resolve([service('running')]);
    await newer;
    pending[0].resolve([service('starting')]);
    await older;
    expect(sut.services().map((s) => s.state)).toEqual(['running']);
  });

  it('does not let an older failure cover a newer answer: it resolves false instead of throwing', async () => {
    const { sut, pending } = storeWithHeldAnswers();
    const older = sut.load();
    const newer = sut.load();
    await vi.waitFor(() => expect(pending).toHaveLength(2));
    pending[1].resolve([service('running')]);
    await expect(newer).resolves.toBe(true);
    pending[0].reject(new Error('network down a second ago'));
    await expect(older).resolves.toBe(false);
    expect(sut.services().map((s) => s.state)).toEqual(['running']);
  });
});
