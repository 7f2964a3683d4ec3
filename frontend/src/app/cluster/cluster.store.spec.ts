import { TestBed } from '@angular/core/testing';
import type { Client } from '@trainyard/sdk';
import { API } from '../core/api';
import { ClusterStore } from './cluster.store';
import { clusterMember } from './testing/cluster-api.testing';

describe(ClusterStore.name, () => {
  it('never lets an older member table replace a newer one when loads overlap', async () => {
    const self = clusterMember('n1', 'alpha', { is_self: true });
    // GET /api/cluster/members answers when the test says so, in the order it chooses.
    const members: Array<(hostnames: string[]) => void> = [];
    const client = {
      get: vi.fn(async ({ url }: { url: string }) => {
        if (url === '/api/cluster/self') return { data: self };
        return new Promise((resolve) =>
          members.push((hostnames) =>
            resolve({ data: { members: hostnames.map((h, i) => clusterMember(`n${i + 1}`, h)) } }),
          ),
        );
      }),
    };
    TestBed.configureTestingModule({ providers: [{ provide: API, useValue: client as unknown as Client }] });
    const sut = TestBed.inject(ClusterStore);
    const older = sut.load();
    const newer = sut.load();
    await vi.waitFor(() => expect(members).toHaveLength(2));
    members[1](['alpha', 'beta']); // beta joined
    await newer;
    members[0](['alpha']);
    await older;
    expect(sut.members().map((m) => m.hostname)).toEqual(['alpha', 'beta']);
  });
});
