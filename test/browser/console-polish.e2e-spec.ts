import { join } from 'node:path';
import { cancelQueueItem, createRun, logRun, restartServer, setScheduler, submitJob } from '@trainyard/sdk';
import { freePort } from '../support/ports';
import { spawnServer } from '../support/spawned-server';
import { makeTempHome } from '../support/temp-home';
import { waitFor } from '../support/wait';
import { SCREENSHOTS } from './browser';
import { type ConsoleSession, PASSWORD, closeConsole, openConsole } from './console-session';

/**
 * What a user trial of the console (headless Chromium, 2 fake GPUs) tripped over: sign-in losing the
 * link that was opened, journal entries shown as raw JSON, accessibility and layout faults, wordy or
 * repeated messages, and errors in the browser console.
 */
describe('console polish (browser e2e)', () => {
  const temp = makeTempHome();
  let session: ConsoleSession;
  let args: string[];

  const shot = (name: string) =>
    session.page.screenshot({ path: join(SCREENSHOTS, `console-polish-${name}.png`) });

  beforeAll(async () => {
    // A fixed port and kept sessions, so the server can be stopped and started again under the page.
    args = ['--fake-gpus', '2', '--port', String(await freePort()), '--persist-sessions'];
    session = await openConsole(temp.home, args);
  });
  afterAll(async () => {
    await closeConsole(session);
    temp.remove();
  });
  afterEach(() => expect(session.pageErrors).toEqual([]));

  const submit = async (name: string, argv: string[], requested_gpus = 0) =>
    (
      await submitJob({
        client: session.api,
        body: { job_type: 'command', requested_gpus, job_params: { argv }, name },
      })
    ).data.queue_id;

  describe('sign-in keeps the link that was opened', () => {
    const signIn = async () => {
      const { page } = session;
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
    };

    it('after the session ended, opens the requested page (query included) and says why it asked', async () => {
      const { page, context, server } = session;
      // Away from the console first: its polls would meet the 401 and end the session in-app.
      await page.goto('about:blank');
      await context.clearCookies(); // the server no longer knows this browser's session
      await page.goto(`${server.baseUrl}/jobs?status=failed`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/sign-in');
      await page.getByRole('alert').filter({ hasText: 'Your session has ended' }).waitFor();
      await shot('session-ended');
      await signIn();
      await page.getByRole('heading', { name: 'Jobs' }).waitFor();
      expect(page.url()).toBe(`${server.baseUrl}/jobs?status=failed`);
    });

    it('says nothing about a session on a first visit', async () => {
      const { browser, server } = session;
      const fresh = await browser.newContext();
      try {
        const page = await fresh.newPage();
        await page.goto(`${server.baseUrl}/jobs/q_1_missing`);
        await page.getByRole('heading', { name: 'Sign in' }).waitFor();
        expect(new URL(page.url()).searchParams.get('next')).toBe('/jobs/q_1_missing');
        expect(await page.getByRole('alert').count()).toBe(0);
      } finally {
        await fresh.close();
      }
    });

    it('never leaves the console for a crafted next= link', async () => {
      const { page, context, server } = session;
      for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
        await context.clearCookies();
        await page.goto(`${server.baseUrl}/sign-in?next=${encodeURIComponent(next)}`);
        await page.getByRole('heading', { name: 'Sign in' }).waitFor();
        await signIn();
        await page.getByRole('heading', { name: 'GPUs' }).waitFor();
        expect(new URL(page.url()).origin).toBe(server.baseUrl);
        expect(new URL(page.url()).pathname).toBe('/gpus');
      }
    });
  });

  describe('the Activity view says everything in words', () => {
    it('names a job cancelled long after it was queued, and has a Runs tab', async () => {
      const { page, api } = session;
      await setScheduler({ client: api, body: { enabled: false } });
      const named = await submit('nightly-eval', ['true']);
      // Enough later entries that the cancelled job's "queued" entry is off the first page.
      const others: string[] = [];
      for (let i = 0; i < 55; i++) others.push(await submit(`filler-${i}`, ['true']));
      for (const id of others) await cancelQueueItem({ client: api, path: { queue_id: id } });
      await cancelQueueItem({ client: api, path: { queue_id: named } });
      await setScheduler({ client: api, body: { enabled: true } });

      await page.goto(`${session.server.baseUrl}/activity`);
      await page.getByRole('heading', { name: 'Activity' }).waitFor();
      const row = page
        .locator(`li:has(a[title="${named}"])`)
        .filter({ hasText: 'cancelled before it started' });
      await row.waitFor();
      await row.filter({ hasText: "'nightly-eval'" }).waitFor();
      await page.getByRole('group', { name: 'Show' }).getByRole('button', { name: 'Runs' }).waitFor();
      expect(await page.locator('.feed').textContent()).not.toMatch(/\.v\d|[{}]/);
      await shot('activity');
    });
  });

  describe('keyboard and voice control', () => {
    // Voice control users say what they see; a symbol-only button (⚙, ?) has only its name.
    it('names every sidebar button by its visible text first', async () => {
      const { page } = session;
      await page.goto(`${session.server.baseUrl}/gpus`);
      await page.getByRole('button', { name: /^Scheduler running/ }).waitFor();
      const mismatched = await page.locator('nav.sidebar button').evaluateAll((buttons) =>
        buttons
          .map((b) => ({
            text: (b as unknown as { innerText: string }).innerText.trim(),
            name: b.getAttribute('aria-label'),
          }))
          .filter(({ text, name }) => /[a-z]/i.test(text) && name && !name.startsWith(text)),
      );
      expect(mismatched).toEqual([]);
    });

    it('offers "Skip to main content" as the first Tab stop, shown when focused', async () => {
      const { page } = session;
      await page.goto(`${session.server.baseUrl}/gpus`);
      await page.getByRole('heading', { name: 'GPUs' }).waitFor();
      await page.keyboard.press('Tab');
      const skip = page.getByRole('link', { name: 'Skip to main content' });
      expect(await page.evaluate('document.activeElement?.textContent?.trim()')).toBe('Skip to main content');
      const box = await skip.boundingBox();
      expect(box && box.y >= 0 && box.height > 0).toBe(true);
      await shot('skip-link');
      await page.keyboard.press('Enter');
      expect(await page.evaluate('document.activeElement?.id')).toBe('main-content');
      expect(new URL(page.url()).pathname).toBe('/gpus');
    });

    it('opens the New job dialog with focus on its first field', async () => {
      const { page } = session;
      await page.keyboard.press('n');
      const dialog = page.getByRole('dialog', { name: 'New job' });
      await dialog.waitFor();
      await waitFor(
        async () => (await page.evaluate('document.activeElement?.id')) === 'job-type',
        'focus on Job type',
      );
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
    });
  });

  describe('layout', () => {
    afterAll(() => session.page.setViewportSize({ width: 1280, height: 800 }));

    it('fits the whole sidebar in 1280×800 without scrolling', async () => {
      const { page } = session;
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.goto(`${session.server.baseUrl}/gpus`);
      await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
      const sizes = await page.locator('nav.sidebar').evaluate((nav) => ({
        scroll: nav.scrollHeight,
        client: nav.clientHeight,
      }));
      expect(sizes.scroll).toBeLessThanOrEqual(sizes.client);
      const signOut = await page.getByRole('button', { name: 'Sign out', exact: true }).boundingBox();
      expect(signOut!.y + signOut!.height).toBeLessThanOrEqual(800);
      // Nor wider than it: the footer row's last button stays inside the sidebar.
      const sidebar = await page.locator('nav.sidebar').boundingBox();
      expect(signOut!.x + signOut!.width).toBeLessThanOrEqual(sidebar!.x + sidebar!.width - 8);
      await shot('sidebar-1280');
    });

    it('shows the collapsed rail at 800 px with no scrollbar and badges clear of the icons', async () => {
      const { page, api } = session;
      await setScheduler({ client: api, body: { enabled: false } });
      await submit('waits', ['true']); // a Queue badge
      await page.setViewportSize({ width: 800, height: 560 }); // short enough that the rail overflows
      await page.goto(`${session.server.baseUrl}/gpus`);
      await page.getByRole('button', { name: 'Expand sidebar' }).waitFor();
      await page.locator('nav.sidebar a .count').first().waitFor();
      const nav = await page.locator('nav.sidebar').evaluate((el) => ({
        offset: (el as unknown as { offsetWidth: number }).offsetWidth,
        client: el.clientWidth,
      }));
      expect(nav.offset - nav.client).toBeLessThanOrEqual(1); // the border only, no scrollbar gutter
      const overlaps = await page.locator('nav.sidebar a:has(.count)').evaluateAll(
        (links) =>
          links.filter((a) => {
            const icon = a.querySelector('svg')!.getBoundingClientRect();
            const badge = a.querySelector('.count')!.getBoundingClientRect();
            return !(
              badge.left >= icon.right ||
              badge.right <= icon.left ||
              badge.top >= icon.bottom ||
              badge.bottom <= icon.top
            );
          }).length,
      );
      await shot('rail-800');
      await page.setViewportSize({ width: 800, height: 700 });
      await shot('rail-800x700');
      expect(overlaps).toBe(0);
      await setScheduler({ client: api, body: { enabled: true } });
    });

    it.each([
      [1280, 800],
      [800, 700],
    ])('lets the Runs table use the page at %i×%i', async (width, height) => {
      const { page, api } = session;
      if (width === 1280) {
        for (let i = 0; i < 30; i++) {
          const { data } = await createRun({
            client: api,
            body: { name: `sweep-lr-${i}`, project: 'me/demo' },
          });
          await logRun({ client: api, path: { run_id: data.run_id }, body: { configs: { lr: i } } });
        }
      }
      await page.setViewportSize({ width, height });
      await page.goto(`${session.server.baseUrl}/runs`);
      await page.getByRole('link', { name: 'sweep-lr-29' }).waitFor();
      const wrap = await page.locator('.table-wrap').boundingBox();
      // 30 rows do not fit: the table reaches the bottom of the window rather than a small box.
      expect(wrap!.y + wrap!.height).toBeGreaterThan(height - 40);
      const clipped = await page
        .locator('table.runs th')
        .evaluateAll((ths) =>
          ths.filter((th) => th.scrollWidth > th.clientWidth).map((th) => th.textContent),
        );
      expect(clipped).toEqual([]);
      await shot(`runs-${width}`);
    });
  });

  describe('messages', () => {
    it('marks a log reconnect on the 24-hour clock, in words', async () => {
      const { page, api, server } = session;
      const id = await submit('ticker', [
        'sh',
        '-c',
        'i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done',
      ]);
      await page.goto(`${server.baseUrl}/jobs/${id}`);
      await page
        .locator('.log-term')
        .getByText(/tick \d/)
        .first()
        .waitFor();
      await restartServer({ client: api });
      await server.nextBanner();
      const notice = page.getByRole('status').filter({ hasText: /Reconnected at/ });
      await notice.waitFor({ timeout: 30_000 });
      expect(await notice.textContent()).toMatch(/Reconnected at \d\d:\d\d:\d\d — nothing was lost/);
      expect(await notice.textContent()).not.toMatch(/AM|PM|byte/);
      await shot('log-reconnected');
    }, 60_000);

    it('says a server outage once, and the log toolbar without nested brackets', async () => {
      const { page } = session;
      const banner = page.getByRole('alert').filter({ hasText: 'Server unreachable' });
      // The job's log pane is open when the server goes away: its toolbar says so, in one sentence.
      await session.server.stop();
      await banner.waitFor({ timeout: 15_000 });
      const toolbar = page.getByText(/retrying in \d+ s/);
      await toolbar.waitFor({ timeout: 15_000 });
      expect(await toolbar.textContent()).not.toMatch(/\([^)]*\(/);
      await shot('log-outage');
      session.server = await spawnServer(temp.home, args);
      await banner.waitFor({ state: 'detached', timeout: 20_000 });

      // On the GPUs view (reached while the server is up), every view and the sidebar ask again and
      // fail: the banner alone says so.
      await page.getByRole('link', { name: 'GPUs' }).first().click();
      await page.getByRole('heading', { name: 'GPUs' }).waitFor();
      await session.server.stop();
      await banner.waitFor({ timeout: 15_000 });
      await page.keyboard.press('r');
      await new Promise((r) => setTimeout(r, 4_000));
      expect(await page.getByText('Live updates interrupted').count()).toBe(0);
      expect(await page.getByText('Could not load services').count()).toBe(0);
      expect(await page.getByText('Could not list the search roots').count()).toBe(0);
      expect(await page.getByText('The server did not answer').count()).toBe(0); // no toast either
      await shot('outage');

      session.server = await spawnServer(temp.home, args);
      await banner.waitFor({ state: 'detached', timeout: 20_000 });
      // Two stops and two boots: the budget covers its waits' own timeouts (a loaded CI machine).
    }, 150_000);
  });
});
