import { join } from 'node:path';
import { Page } from 'playwright-core';
import type { ClusterNode } from '../support/cluster';
import { waitFor } from '../support/wait';
import { SCREENSHOTS } from './browser';
import { type ClusterSession, closeClusterConsole, openClusterConsole } from './cluster-session';

jest.setTimeout(120_000);

const TORCHRUN = join(__dirname, '..', 'fixtures', 'bin', 'torchrun');

/**
 * The submit dialog's Multi-node panel on a real cluster: two built servers (one fake GPU each)
 * joined through a real `nats-server -js`, Chromium on node 0's console at 800 px, and the fake
 * torchrun fixture (it sleeps `TORCHRUN_SLEEP` s, so both ranks stay running).
 */
describe('Multi-node submit panel (browser e2e: nats-server + 2 servers)', () => {
  let session: ClusterSession;
  let nodes: ClusterNode[] = [];
  let ids: string[] = [];
  let page: Page;

  beforeAll(async () => {
    session = await openClusterConsole({ cluster: 'mn', viewport: { width: 800, height: 900 } });
    ({ nodes, ids, page } = session);
  });

  afterAll(() => closeClusterConsole(session));

  afterEach(() => expect(session.pageErrors).toEqual([]));

  it('submits a 2-node training job through the panel (keyboard) and both ranks run', async () => {
    await page.goto(`${nodes[0].server.baseUrl}/jobs`);
    await page.locator('button.new-job').click();
    const dialog = page.getByRole('dialog', { name: 'New job' });
    await dialog.waitFor();
    await dialog.getByLabel('Job type').selectOption('training');
    const panel = dialog.locator('ty-multinode-panel');
    await panel.getByRole('radio', { name: 'This node only' }).waitFor();
    await dialog.getByLabel('script *').fill('/opt/train.py');
    await dialog.getByLabel('torchrun', { exact: true }).fill(TORCHRUN);
    await dialog.getByRole('textbox', { name: /^Environment/ }).fill('TORCHRUN_SLEEP=60');

    // Keyboard only: arrow to "Chosen nodes", tick the other node with Space.
    await panel.getByRole('radio', { name: 'This node only' }).focus();
    await page.keyboard.press('ArrowRight');
    expect(await panel.getByRole('radio', { name: 'Chosen nodes' }).isChecked()).toBe(true);
    const other = panel.locator(`tr[data-node="${ids[1]}"]`);
    await other.locator('.idle', { hasText: '1 idle of 1' }).waitFor();
    await panel.locator(`tr[data-node="${ids[0]}"] .idle`, { hasText: '1 idle of 1' }).waitFor();
    // This node is rank 0 and ticked already; the unreachable-free list has exactly the two.
    expect(await panel.locator('tbody tr').count()).toBe(2);
    expect(await panel.locator(`tr[data-node="${ids[0]}"] input[type=checkbox]`).isChecked()).toBe(true);
    await other.locator('input[type=checkbox]').focus();
    await page.keyboard.press('Space');
    await waitFor(
      async () => other.locator('input[type=checkbox]').isChecked(),
      'the other node ticked by Space',
    );
    await panel.locator('[data-derived="nnodes"]', { hasText: /^\s*2\s*$/ }).waitFor();
    expect(await panel.locator('[data-derived="rdzv"]').textContent()).toContain('127.0.0.1:29400');
    expect(await panel.getByTestId('multinode-error').count()).toBe(0);

    // Fits at 800 px: the dialog has no horizontal scroll.
    const overflow = await dialog.locator('.scroll').evaluate((el) => el.scrollWidth - el.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'cluster-submit-panel.png') });

    await dialog.getByRole('button', { name: 'Submit to 2 nodes' }).click();
    await page.waitForURL(/\/cluster\?bundle=cj_/);
    const bundleId = new URL(page.url()).searchParams.get('bundle')!;
    const row = page.locator(`tr[data-bundle="${bundleId}"]`);
    await row.waitFor();
    expect(await row.getAttribute('class')).toContain('highlight');
    await waitFor(
      async () => (await row.locator('.rank .status.running').count()) === 2,
      'both ranks running in the Cluster view',
      30_000,
    );

    // The server agrees: one rank per node, torchrun in rendezvous mode, both running.
    const bundle = await nodes[1].get(`/api/cluster/jobs/${bundleId}`);
    expect(bundle.status).toBe('running');
    expect(bundle.ranks.map((r: any) => [r.node_id, r.status])).toEqual([
      [ids[0], 'running'],
      [ids[1], 'running'],
    ]);
    expect(bundle.ranks[1].argv).toEqual(
      expect.arrayContaining([TORCHRUN, '--nnodes', '2', '--node-rank', '1', '/opt/train.py']),
    );
    await nodes[0].post(`/api/cluster/jobs/${bundleId}/cancel`);
  });
});
