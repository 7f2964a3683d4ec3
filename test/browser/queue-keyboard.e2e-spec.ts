import { join } from 'node:path';
import { setScheduler, submitJob } from '@trainyard/sdk';
import { makeTempHome } from '../support/temp-home';
import { waitFor } from '../support/wait';
import { SCREENSHOTS } from './browser';
import { type ConsoleSession, closeConsole, openConsole } from './console-session';

/** The Queue view's rows walked from the keyboard with j/k, as the Jobs table's are. */
describe('queue keyboard (browser e2e, 2 fake GPUs)', () => {
  const temp = makeTempHome();
  let session: ConsoleSession;

  beforeAll(async () => {
    session = await openConsole(temp.home, ['--fake-gpus', '2']);
  });
  afterAll(async () => {
    await closeConsole(session);
    temp.remove();
  });
  afterEach(() => expect(session.pageErrors).toEqual([]));

  it('moves keyboard focus down and up the queued rows with j/k (not while typing or with Alt), and Enter opens the focused job', async () => {
    const { page, api, server } = session;
    // Paused, the jobs stay queued (and in the same order) for the whole test.
    await setScheduler({ client: api, body: { enabled: false } });
    for (let i = 1; i <= 4; i++)
      await submitJob({
        client: api,
        body: { job_type: 'command', requested_gpus: 1, job_params: { argv: ['true'] }, name: `kb-${i}` },
      });
    await page.goto(`${server.baseUrl}/queue`);
    await page.locator('tr[data-queue-id]').nth(3).waitFor();
    const order = await page.evaluate<string[]>(
      "[...document.querySelectorAll('tr[data-queue-id]')].map((r) => r.dataset.queueId)",
    );
    expect(order).toHaveLength(4);

    const focused = () =>
      page.evaluate<string | null>("document.activeElement?.getAttribute('data-queue-id') ?? null");
    const focusOn = (id: string, what: string) =>
      waitFor(async () => ((await focused()) === id ? true : undefined), what);
    /** Two frames: a row is focused in the frame after the key. */
    const settle = () =>
      page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');

    await page.locator('h1').click(); // nothing focused: j starts at the first row
    await page.keyboard.press('j');
    await focusOn(order[0], 'focus on the first row');
    // The row is the tab stop and shows the Jobs table's focus ring.
    await page.locator(`tr[data-queue-id="${order[0]}"][tabindex="0"]`).waitFor();
    expect(await page.locator('tr[data-queue-id][tabindex="0"]').count()).toBe(1);
    expect(
      await page.evaluate<string>(
        'getComputedStyle(document.activeElement).outlineStyle + " " + getComputedStyle(document.activeElement).outlineOffset',
      ),
    ).toBe('solid -2px');
    await page.keyboard.press('j');
    await focusOn(order[1], 'focus on the second row');
    await page.keyboard.press('j');
    await focusOn(order[2], 'focus on the third row');
    await page.keyboard.press('j');
    await focusOn(order[3], 'focus on the last row');
    await page.keyboard.press('j'); // stays on the last row
    await settle();
    expect(await focused()).toBe(order[3]);
    await page.keyboard.press('k');
    await focusOn(order[2], 'focus back up on the third row');
    await page.locator(`tr[data-queue-id="${order[2]}"][tabindex="0"]`).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'queue-keyboard-focus.png') });

    // With Alt the key is not j: a k after it goes up from the third row, not from the fourth.
    await page.keyboard.press('Alt+j');
    await settle();
    await page.keyboard.press('k');
    await focusOn(order[1], 'focus on the second row after Alt+j, k');

    // j typed into a text field is text.
    await page.evaluate(`(() => {
      const input = document.createElement('input');
      input.type = 'text';
      input.setAttribute('aria-label', 'scratch');
      document.querySelector('ty-queue-page header').append(input);
    })()`);
    const input = page.getByRole('textbox', { name: 'scratch' });
    await input.click();
    await page.keyboard.type('jjk');
    await settle();
    expect(await input.inputValue()).toBe('jjk');
    expect(await page.evaluate("document.activeElement?.getAttribute('aria-label')")).toBe('scratch');

    // Enter on a focused row opens that job, as its link does.
    await page.locator(`tr[data-queue-id="${order[1]}"]`).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname === `/jobs/${order[1]}`);
    await setScheduler({ client: api, body: { enabled: true } });
  });
});
