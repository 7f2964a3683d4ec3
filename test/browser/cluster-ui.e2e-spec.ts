import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { ClusterNode } from '../support/cluster';
import { SCREENSHOTS } from './browser';
import { type ClusterSession, closeClusterConsole, openClusterConsole } from './cluster-session';

jest.setTimeout(120_000);

/**
 * The Cluster view of two servers on this one host — so they share its hostname, as two nodes can
 * in a real cluster — joined through a real `nats-server -js`, in Chromium at 800 px.
 */
describe('cluster view: shared hostnames, narrow cards (browser e2e: nats-server + 2 servers)', () => {
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
});
