import { type Client, listJobs, setScheduler } from '@trainyard/sdk';
import { type BrowserContextOptions, Page } from 'playwright-core';
import { makeTempHome } from '../support/temp-home';
import { waitFor } from '../support/wait';
import { launchChromium } from './browser';
import {
  type ConsolePage,
  type ConsoleSession,
  closeConsole,
  openConsole,
  openConsolePage,
  submitNamedCommand,
} from './console-session';

/**
 * A usability trial's layout faults, measured in Chromium: the Jobs and Queue tables keep the job
 * name readable at every width (the less needed columns shrink or go first, GPUs outlives Error),
 * and no view scrolls sideways on a 390 px phone.
 */
describe('console layout at narrow widths (browser e2e)', () => {
  const temp = makeTempHome();
  let session: ConsoleSession;
  let api: Client;
  const NAME = 'queue-experiment-llama-finetune-lr3e-4';

  const submit = (name: string, argv?: string[]) => submitNamedCommand(api, name, argv);

  beforeAll(async () => {
    session = await openConsole(temp.home);
    api = session.api;
    await submit(`${NAME}-failed`, ['sh', '-c', 'echo a long error on stderr >&2; exit 3']);
    await submit(`${NAME}-done`, ['true']);
    await waitFor(
      async () =>
        (await listJobs({ client: api, query: { status: 'done,failed' } })).data.total === 2 || undefined,
      'the two jobs to end',
    );
    await setScheduler({ client: api, body: { enabled: false } });
    for (let i = 0; i < 3; i++) await submit(`${NAME}-queued-${i}`, ['true']);
  }, 120_000);

  afterAll(async () => {
    await closeConsole(session);
    temp.remove();
  });

  /** Opens `path` in a fresh context (signed in by the token link) with `options`. */
  const withPage = async (
    options: BrowserContextOptions,
    path: string,
    check: (page: Page) => Promise<void>,
  ): Promise<void> => {
    // A context of the session's Chromium: as fresh as a new browser, without a launch each.
    const opened: ConsolePage = await openConsolePage(session.server, options, session.browser);
    try {
      await opened.page.goto(`${session.server.baseUrl}${path}`);
      await check(opened.page);
      expect(opened.pageErrors).toEqual([]);
    } finally {
      await opened.context.close();
    }
  };

  /**
   * The fewest characters of a job name shown in any row: those from the start whose glyphs lie
   * inside the link's box (a Range measures each glyph; clipped ones lie past its right or bottom edge).
   */
  const fewestNameChars = (page: Page, selector: string) =>
    page.locator(selector).evaluateAll((links) => {
      if (!links.length) throw new Error('no job links');
      return Math.min(
        ...links.map((link) => {
          const text = link.firstChild!;
          const box = link.getBoundingClientRect();
          const range = link.ownerDocument.createRange();
          let n = 0;
          for (; n < text.textContent!.length; n++) {
            range.setStart(text, n);
            range.setEnd(text, n + 1);
            const glyph = range.getBoundingClientRect();
            if (glyph.right > box.right + 0.5 || glyph.bottom > box.bottom + 0.5) break;
          }
          return n;
        }),
      );
    });

  const columnWidths = (page: Page) =>
    page.locator('table.jobs thead th').evaluateAll((ths) => {
      const widths: Record<string, number> = {};
      for (const th of ths) {
        const key = [...th.classList].find((c) => c.startsWith('c-'))!;
        widths[key] = th.getBoundingClientRect().width; // 0 where the column is hidden
      }
      return widths;
    });

  const jobsTable = async (page: Page) => {
    await page.locator('tbody tr[data-job-id] .job-link').nth(4).waitFor();
  };

  it.each([
    ['a 768 px window', { viewport: { width: 768, height: 900 } }],
    ['1400×900 at 200 % zoom (700 CSS px)', { viewport: { width: 700, height: 450 }, deviceScaleFactor: 2 }],
    ['a 390 px phone', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }],
  ])('Jobs: at %s at least 20 characters of every job name show', async (_label, options) => {
    await withPage(options, '/jobs', async (page) => {
      await jobsTable(page);
      expect(await fewestNameChars(page, 'tbody tr[data-job-id] .job-link')).toBeGreaterThanOrEqual(20);
    });
  });

  it('Jobs: at 1100 px the name column is the widest, GPUs and Started show and Error gives way first', async () => {
    await withPage({ viewport: { width: 1100, height: 900 } }, '/jobs', async (page) => {
      await jobsTable(page);
      const w = await columnWidths(page);
      expect(w['c-gpus']).toBeGreaterThan(0);
      expect(w['c-started']).toBeGreaterThan(0);
      for (const [key, width] of Object.entries(w))
        if (key !== 'c-name') expect(width).toBeLessThan(w['c-name']);
      expect(await fewestNameChars(page, 'tbody tr[data-job-id] .job-link')).toBeGreaterThanOrEqual(30);
    });
  });

  it('Jobs: as the window narrows, Error goes before GPUs', async () => {
    for (const width of [1400, 1100, 900, 768, 640]) {
      await withPage({ viewport: { width, height: 900 } }, '/jobs', async (page) => {
        await jobsTable(page);
        const w = await columnWidths(page);
        if (w['c-error'] > 0) expect(w['c-gpus']).toBeGreaterThan(0);
        // How a job ended stays in sight: in its column, or under the name.
        const failed = page.locator('tbody tr[data-job-id]', { hasText: `${NAME}-failed` });
        const end = w['c-error'] > 0 ? failed.locator('td.c-error') : failed.locator('.narrow-end');
        expect(await end.isVisible()).toBe(true);
      });
    }
  }, 60_000);

  it('Queue: at 768 px and on a 390 px phone at least 20 characters of every job name show', async () => {
    for (const options of [
      { viewport: { width: 768, height: 900 } },
      { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
    ])
      await withPage(options, '/queue', async (page) => {
        await page.locator('tbody tr[data-queue-id] .job-link').nth(2).waitFor();
        expect(await fewestNameChars(page, 'tbody tr[data-queue-id] .job-link')).toBeGreaterThanOrEqual(20);
      });
  });

  it.each(['/gpus', '/queue', '/jobs', '/services', '/inference', '/projects', '/runs', '/files'])(
    'on a 390 px phone %s does not scroll sideways',
    async (path) => {
      await withPage(
        { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
        path,
        async (page) => {
          await page.locator('main h1').first().waitFor();
          await page.waitForLoadState('networkidle');
          // The page and its main area (the scrolling one) are no wider than the screen.
          const overflow = await page.evaluate<string[]>(
            `['html', 'body', 'main'].map((s) => document.querySelector(s))
            .filter((el) => el.scrollWidth > el.clientWidth)
            .map((el) => el.tagName + ': scrollWidth ' + el.scrollWidth + ' > clientWidth ' + el.clientWidth)`,
          );
          expect(overflow).toEqual([]);
          if (path === '/jobs') {
            // Every toolbar control shown is on the screen (the "to" date field was off it).
            const controls = page.locator('.page-head').locator('input, select, button');
            for (const box of await controls.evaluateAll((els) =>
              els.filter((el) => el.getClientRects().length).map((el) => el.getBoundingClientRect().right),
            ))
              expect(box).toBeLessThanOrEqual(390);
          }
        },
      );
    },
  );

  it('Jobs: j/k put the job they select in the address, as a click does', async () => {
    await withPage({ viewport: { width: 1280, height: 800 } }, '/jobs', async (page) => {
      await jobsTable(page);
      await page.locator('h1').click();
      await page.keyboard.press('j');
      const first = await page.locator('tbody tr[data-job-id]').first().getAttribute('data-job-id');
      await page.waitForURL(`${session.server.baseUrl}/jobs/${first}`);
      await page.keyboard.press('j');
      const second = await page.locator('tbody tr[data-job-id]').nth(1).getAttribute('data-job-id');
      await page.waitForURL(`${session.server.baseUrl}/jobs/${second}`);
      await page.reload();
      await page.locator(`tbody tr[data-job-id="${second}"][aria-selected="true"]`).waitFor();
    });
  });

  it('the sign-in page focuses the password field, and the token field on the token tab', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${session.server.baseUrl}/sign-in`);
      await page.getByLabel('Password', { exact: true }).waitFor();
      const focused = () => page.evaluate<string | null>('document.activeElement?.id ?? null');
      await waitFor(
        async () => ((await focused()) === 'password' ? true : undefined),
        'focus on the password',
      );
      await page.getByRole('button', { name: 'Token', exact: true }).click();
      await waitFor(async () => ((await focused()) === 'token' ? true : undefined), 'focus on the token');
    } finally {
      await browser.close();
    }
  });
});
