import { join } from 'node:path';
import { type Client, listGpus, submitJob } from '@trainyard/sdk';
import { BrowserContext, Page } from 'playwright-core';
import type { ClusterNode } from '../support/cluster';
import { waitFor } from '../support/wait';
import { SCREENSHOTS } from './browser';
import { type ClusterSession, closeClusterConsole, openClusterConsole } from './cluster-session';

jest.setTimeout(120_000);

/**
 * The console of a cluster node: two built servers (one fake GPU each) joined through a real
 * `nats-server -js`, driven by Chromium on node 0's console.
 */
describe('cluster console (browser e2e: nats-server + 2 servers)', () => {
  let session: ClusterSession;
  let nodes: ClusterNode[] = [];
  let ids: string[] = [];
  let apis: Client[] = [];
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    session = await openClusterConsole({ cluster: 'ui', viewport: { width: 1280, height: 800 } });
    ({ nodes, ids, apis, context, page } = session);
  });

  afterAll(() => closeClusterConsole(session));

  afterEach(() => expect(session.pageErrors).toEqual([]));

  it('the sidebar Nodes section lists both nodes with a green dot', async () => {
    const list = page.getByRole('list', { name: 'Cluster nodes' });
    for (const id of ids) await list.locator(`li[data-node="${id}"][data-health="ok"]`).waitFor();
    expect(await list.locator('li').count()).toBe(2);
    // The other node has a sign-in button, this one does not.
    expect(await list.locator(`li[data-node="${ids[1]}"] button`).count()).toBe(1);
    expect(await list.locator(`li[data-node="${ids[0]}"] button`).count()).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'cluster-nodes.png') });
  });

  it("the Cluster view shows the other node's GPU, and its switch disables it on that node", async () => {
    await page.getByRole('link', { name: /Nodes · ui/ }).click();
    await page.getByRole('heading', { name: 'Nodes and GPUs' }).waitFor();
    const other = page.locator(`article.node[data-node="${ids[1]}"]`);
    const toggle = other.getByRole('switch');
    await toggle.waitFor();
    expect(await toggle.getAttribute('aria-checked')).toBe('true');
    await toggle.click();
    await waitFor(
      async () => (await listGpus({ client: apis[1] })).data.gpus[0].disabled,
      'GPU 0 disabled on node 1',
    );
    // Only there: node 0's own GPU is untouched.
    expect((await listGpus({ client: apis[0] })).data.gpus[0].disabled).toBe(false);
    await waitFor(
      async () => (await toggle.getAttribute('aria-checked')) === 'false',
      'the switch to show it',
    );
  });

  it('the probe table measures the peer on Refresh (measuring…, then figures)', async () => {
    const row = page.locator(`table.probes tr[data-peer="${ids[1]}"]`);
    await row.getByText('not measured').first().waitFor();
    await row.getByRole('button', { name: /Refresh the probes/ }).click();
    // The bandwidth probe takes ~2 s: its row says measuring first.
    await row.locator('.bandwidth .measuring').waitFor();
    await waitFor(
      async () => /^\s*[\d.]+\s*$/.test((await row.locator('.bandwidth').textContent()) ?? ''),
      'a bandwidth figure',
      20_000,
    );
    const latency = ((await row.locator('.latency').textContent()) ?? '')
      .split('/')
      .map((s) => Number(s.trim()));
    expect(latency).toHaveLength(3);
    expect(latency[0]).toBeLessThanOrEqual(latency[1]);
    expect(latency[1]).toBeLessThanOrEqual(latency[2]);
    expect(Number(await row.locator('.bandwidth').textContent())).toBeGreaterThan(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'cluster-view.png') });
  });

  it("opens another node's job log in place and follows it", async () => {
    const { data: job } = await submitJob({
      client: apis[1],
      body: {
        job_type: 'command',
        name: 'remote-log',
        requested_gpus: 0,
        job_params: { argv: ['sh', '-c', 'echo first-line; sleep 1; echo second-line'] },
      },
    });
    const other = page.locator(`article.node[data-node="${ids[1]}"]`);
    await other.getByRole('button', { name: 'Jobs' }).click();
    // The pane follows over the WebSocket, the same stream and frames as a local job's log.
    const socket = page.waitForEvent('websocket', (ws) =>
      ws.url().includes(`/api/cluster/nodes/${ids[1]}/jobs/${job.queue_id}/tty`),
    );
    await page.getByRole('row', { name: `Open the log of ${job.queue_id}` }).click();
    await socket;
    const pane = page.locator('ty-node-log');
    await pane.getByText('first-line').waitFor();
    // The second line arrives live, after the backlog.
    await pane.getByText('second-line').waitFor({ timeout: 15_000 });
    await pane.getByText('· ended').waitFor({ timeout: 15_000 });
    await pane.getByRole('button', { name: 'Close log' }).click();
  });

  it('fits at 800 px without a horizontal scroll bar', async () => {
    await page.setViewportSize({ width: 800, height: 800 });
    await page.waitForTimeout(200);
    const overflow = await page.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('signs in to the other node in a new tab with one click', async () => {
    const popup = context.waitForEvent('page');
    await page
      .getByRole('list', { name: 'Cluster nodes' })
      .getByRole('button', { name: /Sign in to/ })
      .click();
    const tab = await popup;
    await tab.waitForURL((url) => url.origin === new URL(nodes[1].server.baseUrl).origin);
    await tab.getByRole('heading', { name: 'GPUs' }).waitFor();
    // Signed in on node 1 (its own session), and node 0's tab still is.
    await tab.getByRole('list', { name: 'Cluster nodes' }).waitFor();
    expect(await tab.getByRole('heading', { name: 'Sign in' }).count()).toBe(0);
    await tab.close();
  });
});
