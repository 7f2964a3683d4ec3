import { join } from 'node:path';
import { setGpuPolicy } from '@trainyard/sdk';
import type { Page } from 'playwright-core';
import type { ClusterNode } from '../support/cluster';
import { waitFor } from '../support/wait';
import { SCREENSHOTS } from './browser';
import { type ClusterSession, closeClusterConsole, openClusterConsole } from './cluster-session';

jest.setTimeout(120_000);

/**
 * The Cluster view of two servers on this one host — so they share its hostname, as two nodes can
 * in a real cluster — joined through a real `nats-server -js`, in Chromium at 800 px. The last tests
 * stop node 1 (SIGTERM) and look at it from node 0's console, as a user trial did.
 */
describe('cluster view: shared hostnames, narrow cards, gates, a down node (browser e2e: nats-server + 2 servers)', () => {
  let session: ClusterSession;
  let nodes: ClusterNode[] = [];
  let ids: string[] = [];
  let page: Page;

  beforeAll(async () => {
    session = await openClusterConsole({
      cluster: 'narrow',
      viewport: { width: 800, height: 800 },
      fakeGpus: 2,
    });
    ({ nodes, ids, page } = session);
    await page.goto(`${nodes[0].server.baseUrl}/cluster`);
    for (const id of ids)
      await page.locator(`article.node[data-node="${id}"] [role=switch]`).first().waitFor();
  });

  afterAll(() => closeClusterConsole(session));

  afterEach(() => expect(session.pageErrors).toEqual([]));

  it('names each node by hostname and a node id prefix, in the cards and the sidebar', async () => {
    const names = await Promise.all(
      ids.map((id) => page.locator(`article.node[data-node="${id}"] header strong`).textContent()),
    );
    const host = (await nodes[0].get('/api/cluster/members')).members[0].hostname as string;
    expect(names.map((n) => n?.trim())).toEqual(ids.map((id) => `${host} · ${id.slice(0, 8)}`));
    const sidebar = page.getByRole('list', { name: 'Cluster nodes' });
    for (const id of ids)
      expect((await sidebar.locator(`li[data-node="${id}"] .name`).textContent())?.trim()).toContain(
        `${host} · ${id.slice(0, 8)}`,
      );
  });

  /** What sticks out: a card's button or name past its right edge, a table heading past its column. */
  const overflowing = () =>
    // A string: this file is compiled without the DOM lib.
    page.evaluate<string[]>(`(() => {
      const out = [];
      const say = (el, right, edge) => out.push(el.tagName + ' "' + el.textContent.trim() + '" ' + right + ' > ' + edge);
      for (const card of document.querySelectorAll('article.node')) {
        const edge = card.getBoundingClientRect().right;
        for (const el of card.querySelectorAll('button, strong, .tag, .muted')) {
          const right = el.getBoundingClientRect().right;
          if (right > edge + 0.5) say(el, right, edge);
        }
      }
      for (const th of document.querySelectorAll('ty-cluster-page th'))
        if (th.scrollWidth > th.clientWidth) say(th, th.scrollWidth, th.clientWidth);
      return out;
    })()`);

  it('keeps buttons and names inside their node cards, and headings in their columns, at 800 px', async () => {
    expect(await overflowing()).toEqual([]);
    // With the sidebar expanded too: the cards are narrowest then.
    await page.getByRole('button', { name: 'Expand sidebar' }).click();
    await page.getByRole('button', { name: 'Collapse sidebar' }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'cluster-view-800.png') });
    expect(await overflowing()).toEqual([]);
  });

  const card = (id: string) => page.locator(`article.node[data-node="${id}"]`);
  const jobsPane = () => page.locator('.node-jobs');

  it("shows a GPU's priority gate in its row, as the GPUs view does", async () => {
    await setGpuPolicy({ client: session.apis[1], path: { index: 1 }, body: { min_priority: 10 } });
    const gated = card(ids[1]).locator('li.gpu[data-gpu="1"]');
    // Before: "GPU 1 · … idle Enabled", not a word of the gate (the GPUs view says "Priority ≥ 10").
    await gated.getByText('Priority ≥ 10').waitFor();
    expect(await gated.getByText('Priority ≥ 10').getAttribute('title')).toBe(
      'Only jobs with at least this priority are placed here',
    );
    expect(await card(ids[1]).locator('li.gpu[data-gpu="0"]').textContent()).not.toContain('Priority');
    // The badge fits the narrow card (the sidebar is expanded still).
    expect(await overflowing()).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'cluster-view-gate.png') });
  });

  it('says "No jobs" only after an empty list was read', async () => {
    await card(ids[0]).getByRole('button', { name: 'Jobs' }).click();
    await jobsPane().getByText('No jobs').waitFor();
    expect(await jobsPane().getByRole('alert').count()).toBe(0);
    await card(ids[0]).getByRole('button', { name: 'Jobs' }).click();
    await jobsPane().waitFor({ state: 'detached' });
  });

  describe('with node 1 stopped (SIGTERM)', () => {
    let down: string;

    beforeAll(async () => {
      await nodes[1].server.stop('SIGTERM');
      // Heartbeats stop; node 0 counts node 1 unreachable after 3 s of silence.
      const member = await waitFor(
        async () =>
          (await nodes[0].get('/api/cluster/members')).members.find(
            (m: { node_id: string; reachable: boolean }) => m.node_id === ids[1] && !m.reachable,
          ),
        'node 1 unreachable',
      );
      // hh:mm:ss of its last heartbeat (Chromium and jest share this machine's time zone).
      const t = new Date(member.last_seen_at);
      down = [t.getHours(), t.getMinutes(), t.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
    });

    it('says in plain words that the node is unreachable and since when, the raw error only under Details', async () => {
      await card(ids[1]).getByText('Unreachable since').waitFor();
      // innerText: what is shown (a closed <details> shows only its summary).
      const shown = await card(ids[1]).innerText();
      expect(shown).toContain(down);
      // Before: "No answer: node <uuid> is not reachable: … (nothing answers gpus)" (at first
      // "no responders: 'trainyard.<cluster>.node.<uuid>.gpus'").
      expect(shown).not.toContain(ids[1]);
      expect(shown).not.toMatch(/no responders|nothing answers|trainyard\./);
      // The server's own words are still there for whoever needs them.
      await card(ids[1]).getByText('Details').click();
      expect(await card(ids[1]).locator('details').innerText()).toContain(`node ${ids[1]} is not reachable`);
      expect(await overflowing()).toEqual([]);
      await page.screenshot({ path: join(SCREENSHOTS, 'cluster-view-node-down.png') });
    });

    it("disables the down node's probe Refresh, saying why", async () => {
      const refresh = page
        .locator(`tr[data-peer="${ids[1]}"]`)
        .getByRole('button', { name: /^Refresh the probes/ });
      // Before: enabled, and a click measured nothing.
      await waitFor(() => refresh.isDisabled(), 'Refresh disabled');
      expect(await refresh.getAttribute('title')).toMatch(/is unreachable/);
    });

    it('says the jobs of the down node could not be read, and why, with Try again (not "No jobs")', async () => {
      const jobsUrl = `/api/cluster/nodes/${ids[1]}/jobs`;
      const read = () => page.waitForResponse((r) => r.url().includes(jobsUrl));
      await Promise.all([read(), card(ids[1]).getByRole('button', { name: 'Jobs' }).click()]);
      const alert = jobsPane().getByRole('alert');
      // Before: "Jobs on … — No jobs" beside a toast "Could not list the jobs…".
      await alert.waitFor();
      expect(await alert.innerText()).toMatch(/^Could not read the jobs of .+: node \S+ is not reachable/);
      expect(await jobsPane().innerText()).not.toContain('No jobs');
      // Try again reads again, and still says why.
      await Promise.all([read(), jobsPane().getByRole('button', { name: 'Try again' }).click()]);
      await alert.waitFor();
      expect(await jobsPane().innerText()).not.toContain('No jobs');
      // The 3 s poll reads it again too; that failure is the pane's, not the whole page's.
      await read();
      await read();
      expect(await page.locator('.load-error').count()).toBe(0);
      expect(await alert.isVisible()).toBe(true);
      await card(ids[1]).getByRole('button', { name: 'Jobs' }).click();
    });
  });
});
