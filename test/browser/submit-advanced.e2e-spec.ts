import { join } from 'node:path';
import { getJob, submitJob } from '@trainyard/sdk';
import { type ConsoleSession, closeConsole, openConsole } from './console-session';
import { makeTempHome } from '../support/temp-home';
import { SCREENSHOTS } from './browser';

/**
 * The New job dialog's Advanced section in Chromium at 800 px, against the built server: a time limit
 * and a dependency typed there reach the job (read back over the API), a bad time limit is stopped
 * under its field, and the server's refusal of an unknown dependency shows on that row.
 */
describe('New job dialog: Advanced section (browser e2e)', () => {
  const temp = makeTempHome();
  let s: ConsoleSession;

  beforeAll(async () => {
    s = await openConsole(temp.home);
    await s.page.setViewportSize({ width: 800, height: 900 });
  }, 60_000);

  afterAll(async () => {
    await closeConsole(s);
    temp.remove();
  });

  afterEach(() => expect(s.pageErrors).toEqual([]));

  async function openDialog() {
    await s.page.getByRole('button', { name: 'New job' }).click();
    const dialog = s.page.getByRole('dialog', { name: 'New job' });
    await dialog.getByLabel('argv *').waitFor();
    return dialog;
  }

  it('submits a job with a time limit and a dependency, and stops bad values under their fields', async () => {
    const head = (
      await submitJob({
        client: s.api,
        body: {
          job_type: 'command',
          requested_gpus: 0,
          name: 'train',
          job_params: { argv: ['sleep', '60'] },
        },
      })
    ).data;

    let dialog = await openDialog();
    await dialog.getByLabel('argv *').fill('true');
    await dialog.getByLabel('Name').fill('eval');
    // Collapsed by default.
    expect(await dialog.getByLabel('Time limit').isVisible()).toBe(false);
    await dialog.getByText('Advanced', { exact: true }).click();
    await dialog.getByLabel('Time limit').fill('1h30m');
    await dialog.getByRole('button', { name: 'Add dependency' }).click();
    // The recent jobs are offered to pick from (a datalist on the id input).
    await dialog
      .locator(`#submit-recent-jobs option[value="${head.queue_id}"]`)
      .waitFor({ state: 'attached' });
    await dialog.getByLabel('Queue id of dependency 1').fill(head.queue_id);
    await dialog.getByLabel('Condition of dependency 1').selectOption('after_any');
    await s.page.screenshot({ path: join(SCREENSHOTS, 'submit-advanced-800.png') });
    await dialog.getByRole('button', { name: 'Submit', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await s.page.waitForURL(/\/jobs\/q_/);
    const id = s.page.url().split('/jobs/')[1];

    const job = (await getJob({ client: s.api, path: { queue_id: id } })).data;
    expect(job).toMatchObject({
      name: 'eval',
      time_limit_s: 5400,
      depends_on: [{ queue_id: head.queue_id, condition: 'after_any' }],
    });

    // Open again: the section stays open (remembered), the time limit too; the dependencies
    // do not (one-off: the next job must not wait on them unseen).
    dialog = await openDialog();
    expect(await dialog.getByLabel('Time limit').inputValue()).toBe('1h30m');
    expect(await dialog.getByLabel('Queue id of dependency 1').count()).toBe(0);

    // A bad time limit: stopped in the form, its message under the field.
    const limit = dialog.getByLabel('Time limit');
    await limit.fill('2 hours');
    await dialog.getByRole('button', { name: 'Submit', exact: true }).click();
    await dialog.locator('#submit-time-limit-hint', { hasText: 'A duration like 90m, 2h, 1h30m' }).waitFor();
    expect(await limit.getAttribute('aria-invalid')).toBe('true');
    // Focus moves there on the next frame (a busy CI host can run it after the hint is drawn).
    await s.page.waitForFunction("document.activeElement?.id === 'submit-time-limit'", undefined, {
      timeout: 5000,
    });

    // An id the server does not know: its 400 names depends_on[0].queue_id, shown on that row.
    await limit.fill('');
    await dialog.getByRole('button', { name: 'Add dependency' }).click();
    const dep = dialog.getByLabel('Queue id of dependency 1');
    await dep.fill('q_1000000000000_00000000');
    await dialog.getByRole('button', { name: 'Submit', exact: true }).click();
    await dialog.locator('#submit-dep-0-hint').waitFor();
    expect(await dialog.locator('#submit-dep-0-hint').textContent()).toContain('q_1000000000000_00000000');
    expect(await dep.getAttribute('aria-invalid')).toBe('true');
    expect(await dialog.isVisible()).toBe(true);
    await s.page.keyboard.press('Escape');
  }, 60_000);
});
