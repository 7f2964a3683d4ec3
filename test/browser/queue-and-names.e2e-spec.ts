import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { cancelArray, getArray, setScheduler, submitJob } from '@trainyard/sdk';
import { makeTempHome } from '../support/temp-home';
import { waitFor } from '../support/wait';
import { SCREENSHOTS } from './browser';
import { type ConsoleSession, closeConsole, openConsole, submitNamedCommand } from './console-session';

/** The characters that reorder text (bidi controls) or drive a terminal (C0 controls), as sent raw. */
// eslint-disable-next-line no-control-regex -- finding them is the point
const RAW_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** The job's short id is in `cell`, wholly inside it: shown, not clipped away by the name before it. */
async function expectShortIdShown(cell: Locator, id: string): Promise<void> {
  const idText = cell.locator('.id');
  await idText.waitFor();
  expect(await idText.innerText()).toBe(id.slice(-8));
  const [box, inner] = [await cell.boundingBox(), await idText.boundingBox()];
  expect(inner!.x).toBeGreaterThanOrEqual(box!.x);
  expect(inner!.x + inner!.width).toBeLessThanOrEqual(box!.x + box!.width + 0.5);
}

/**
 * What a job's submitter controls, shown in the console: a name with a right-to-left override or an
 * escape sequence shows them as escapes and reorders nothing around it (the job id beside it); and
 * the Queue view reaches every waiting item, not only the first 1,000.
 */
describe('queue rows and untrusted names (browser e2e)', () => {
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

  it('shows bidi and control characters of a job name as escapes, in every view, never reordering the id', async () => {
    const { page, api, server } = session;
    const submit = (name: string, argv?: string[]) => submitNamedCommand(api, name, argv);
    const spoof = await submit('invoice\u202efdp.exe');
    const escape = await submit('esc\u001b[31mred\u0007', ['sh', '-c', 'echo "\u202e"']);
    const short = (id: string) => id.slice(-8);

    // Jobs: the row reads in order, with the escapes visible.
    await page.goto(`${server.baseUrl}/jobs`);
    const row = page.locator(`tr[data-job-id="${spoof}"]`);
    await row.waitFor();
    await waitFor(
      async () => ((await row.innerText()).includes('invoice\\u202efdp.exe') ? true : undefined),
      'the escaped name in the Jobs row',
    );
    expect(await row.innerText()).toContain(short(spoof));
    expect(await page.locator(`tr[data-job-id="${escape}"]`).innerText()).toContain('esc\\x1b[31mred\\x07');
    // The job's pane (its header and facts), then the Activity view.
    await row.click();
    const pane = page.locator('ty-job-detail');
    await pane.getByText('invoice\\u202efdp.exe').first().waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'untrusted-names-jobs.png') });
    const texts = async () =>
      page.evaluate<string[]>(
        `[document.body.innerText, ...[...document.querySelectorAll('[title], [aria-label]')]
          .filter((el) => !el.closest('.xterm, .monaco-editor'))
          .flatMap((el) => [el.getAttribute('title') ?? '', el.getAttribute('aria-label') ?? ''])]`,
      );
    // Outside the log (a terminal shows a job's output as the job wrote it) no raw control is left.
    await pane.locator('.xterm').first().waitFor();
    const withoutLog = await page.evaluate<string>(
      `(() => { const c = document.body.cloneNode(true); c.querySelectorAll('.xterm').forEach((x) => x.remove());
        return c.innerText; })()`,
    );
    expect(withoutLog).not.toMatch(RAW_CONTROLS);
    expect((await texts()).slice(1).join('\n')).not.toMatch(RAW_CONTROLS);

    await page.goto(`${server.baseUrl}/activity`);
    await page.getByText('invoice\\u202efdp.exe').first().waitFor();
    for (const text of await texts()) expect(text).not.toMatch(RAW_CONTROLS);
  });

  it('cuts a long job name in the Jobs row, never the short id beside it', async () => {
    const { page, api, server } = session;
    const names = ['x'.repeat(200), 'x'.repeat(199) + 'y'];
    const ids: string[] = [];
    for (const name of names)
      ids.push(
        (
          await submitJob({
            client: api,
            body: { job_type: 'command', requested_gpus: 0, job_params: { argv: ['true'] }, name },
          })
        ).data.queue_id,
      );
    await page.goto(`${server.baseUrl}/jobs`);
    for (const id of ids) await expectShortIdShown(page.locator(`tr[data-job-id="${id}"] td.c-name`), id);
    await page.screenshot({ path: join(SCREENSHOTS, 'jobs-long-names.png') });
  });

  it('cuts a long array name in the Queue row, never the short id beside it', async () => {
    const { page, api, server } = session;
    await setScheduler({ client: api, body: { enabled: false } });
    // Before: "<200 x> [0]" and "<200 x> [1]" both showed as "xxxx…": the waiting jobs looked alike.
    const { data } = await submitJob({
      client: api,
      body: {
        job_type: 'command',
        requested_gpus: 0,
        job_params: { argv: ['true'] },
        name: 'x'.repeat(200),
        array: { count: 2 },
      },
    });
    try {
      const array = (await getArray({ client: api, path: { array_id: data.array_id! } })).data;
      await page.goto(`${server.baseUrl}/queue`);
      for (const id of array.jobs.map((j) => j.queue_id))
        await expectShortIdShown(page.locator(`tr[data-queue-id="${id}"] td.clip`), id);
      await page.screenshot({ path: join(SCREENSHOTS, 'queue-long-names.png') });
    } finally {
      await cancelArray({ client: api, path: { array_id: data.array_id! } });
      await setScheduler({ client: api, body: { enabled: true } });
    }
  });

  it('reaches every waiting item past the first 1,000: says how many are shown, and shows more on request', async () => {
    const { page, api, server } = session;
    await setScheduler({ client: api, body: { enabled: false } });
    const { data } = await submitJob({
      client: api,
      body: {
        job_type: 'command',
        requested_gpus: 0,
        job_params: { argv: ['true'] },
        name: 'many',
        array: { count: 1200 },
      },
    });
    try {
      await page.goto(`${server.baseUrl}/queue`);
      await page.locator('.page-head .summary').filter({ hasText: '1200 waiting' }).waitFor();
      const rows = page.locator('tr[data-queue-id]');
      await waitFor(async () => ((await rows.count()) === 1000 ? true : undefined), 'the first 1,000 rows');
      const more = page.locator('.more-row');
      expect(await more.innerText()).toContain('Showing the first 1000 of 1200');
      await more.getByRole('button', { name: 'Show more' }).click();
      await waitFor(async () => ((await rows.count()) === 1200 ? true : undefined), 'all 1,200 rows');
      expect(await more.count()).toBe(0);
      await page.locator('tr[data-queue-id]').last().scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SCREENSHOTS, 'queue-show-more.png') });
    } finally {
      await cancelArray({ client: api, path: { array_id: data.array_id! } });
      await setScheduler({ client: api, body: { enabled: true } });
    }
  });
});
