import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { join } from 'node:path';
import {
  type Client,
  controlJob,
  createTrainyardClient,
  getJob,
  setPassword,
  submitJob,
} from '@trainyard/sdk';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { freePort } from '../support/ports';
import { SpawnedServer, spawnServer } from '../support/spawned-server';
import { makeTempHome } from '../support/temp-home';
import { waitFor } from '../support/wait';
import { CONSOLE_INDEX, SCREENSHOTS, launchChromium } from './browser';

const { startOpenAiFixture } = require('../fixtures/openai/openai-server.js') as {
  startOpenAiFixture(o?: { delayMs?: number; served?: string[] }): Promise<OpenAiFixture>;
};
interface OpenAiFixture {
  url: string;
  events: Array<{ path: string; body: Record<string, unknown>; outcome: string; produced?: number }>;
  close(): Promise<void>;
}
const FIXTURE_BIN = join(__dirname, '..', 'fixtures', 'bin');

/**
 * The Inference and Datasets views against the built server, a real `inference` job (the fake vllm
 * runs the fixture OpenAI server) and an in-process fixture that streams one token every 120 ms:
 * picking the job fills the base URL; two chat turns stream visibly; Stop closes the upstream
 * request; the history survives a reload; a registered dataset server lists and previews rows.
 */
describe('Inference and Datasets views (browser e2e)', () => {
  const temp = makeTempHome();
  let server: SpawnedServer;
  let api: Client;
  let fixture: OpenAiFixture;
  let datasets: Server;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let jobId: string | undefined;
  let jobBase = '';
  const pageErrors: string[] = [];

  const chatRequests = () => fixture.events.filter((e) => e.path.startsWith('/v1/chat/completions'));
  const assistantTurns = () => page.locator('li.turn[data-role="assistant"]');
  const tab = (name: string) => page.getByRole('tab', { name }).click();
  const chatAlert = () => page.locator('ty-chat-tab [role="alert"]');
  /** Sets the model on the Model tab (committed, as leaving the field does) and comes back to Chat. */
  const useModel = async (model: string) => {
    await tab('Model');
    await page.locator('#inf-model').fill(model);
    await page.locator('#inf-model').press('Tab');
    await tab('Chat');
  };
  const ask = async (text: string) => {
    await page.locator('#inf-compose').fill(text);
    await page.getByRole('button', { name: 'Send' }).click();
  };
  /** The transcript's distance from its end and its scrollTop, in px. */
  const transcriptScroll = () =>
    page.locator('ol.transcript').evaluate((el) => ({
      fromEnd: el.scrollHeight - el.scrollTop - el.clientHeight,
      top: el.scrollTop,
    }));

  beforeAll(async () => {
    if (!existsSync(CONSOLE_INDEX)) throw new Error(`${CONSOLE_INDEX} is missing: run npx ng build first`);
    server = await spawnServer(temp.home);
    api = createTrainyardClient({ baseUrl: server.baseUrl, token: server.token ?? undefined });
    await setPassword({ client: api, body: { new_password: 'correct horse battery' } });
    fixture = await startOpenAiFixture({ delayMs: 120 });
    datasets = createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (url.pathname === '/v1/datasets/wiki/iter') {
        const from = Number(url.searchParams.get('position'));
        const n = Number(url.searchParams.get('limit'));
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        const rows = Array.from({ length: Math.max(0, Math.min(n, 30 - from)) }, (_, i) => ({
          text: `row ${from + i}`,
        }));
        return res.end(rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
      }
      const body = url.pathname === '/v1/datasets' ? [{ handle: 'wiki' }] : { status: 'ok' };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    }).listen(0, '127.0.0.1');
    await once(datasets, 'listening');
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${server.baseUrl}/?token=${server.token}`);
    await page.getByRole('heading', { name: 'GPUs' }).waitFor();
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Inference' }).click();
    await page.getByRole('heading', { name: 'Inference' }).waitFor();
  });

  afterAll(async () => {
    if (jobId) {
      await controlJob({ client: api, path: { queue_id: jobId, action: 'force-kill' } }).catch(
        () => undefined,
      );
    }
    await context?.close();
    await browser?.close();
    await server?.stop();
    await fixture?.close();
    datasets?.close();
    temp.remove();
  });

  afterEach(() => expect(pageErrors).toEqual([]));

  it('picks a running inference job: its base URL is filled in, tested reachable, its model listed', async () => {
    const port = await freePort();
    const { data } = await submitJob({
      client: api,
      body: {
        job_type: 'inference',
        job_params: { model: 'fixture-model', port },
        requested_gpus: 0,
        env: { PATH: `${FIXTURE_BIN}:${process.env.PATH}` },
      },
    });
    jobId = data.queue_id;
    await waitFor(
      async () => (await getJob({ client: api, path: { queue_id: jobId! } })).data.status === 'running',
      'the inference job to run',
      20_000,
    );
    await page.getByRole('button', { name: 'Refresh running jobs' }).click();
    const base = (jobBase = `http://127.0.0.1:${port}/v1`);
    const picker = page.locator('#inf-running');
    await picker.locator('option', { hasText: base }).waitFor({ state: 'attached' });
    // The job's server needs a moment to listen; the pick tests it, so pick once it answers.
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.ok,
      'the fake vllm to listen',
    );
    await picker.selectOption({ label: `inference ${jobId} — ${base}` });
    expect(await page.locator('#inf-base').inputValue()).toBe(base);
    await page.locator('.badge-ok', { hasText: 'reachable' }).waitFor();
    // The job requires a token (auth defaults on): /models answering proves the proxy added it.
    await waitFor(
      async () => (await page.locator('#inf-model').inputValue()) === 'fixture-model',
      'the model',
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'inference-model.png'), fullPage: true });
  });

  it('chats two turns with the answer visible while it streams; the full history goes up each turn', async () => {
    await page.locator('#inf-base').fill(fixture.url);
    await page.locator('#inf-base').press('Enter');
    await page.locator('.badge-ok', { hasText: 'reachable' }).waitFor();
    await page.locator('#inf-p-max_tokens').fill('10');
    await tab('Chat');

    for (const [turn, text] of ['Hello there', 'And **again**'].entries()) {
      await page.locator('#inf-compose').fill(text);
      await page.locator('#inf-compose').press('Control+Enter');
      const answer = assistantTurns().nth(turn);
      // Partial text while the fixture is still producing: tok1 shown, tok9 not yet sent.
      await answer.getByText(/tok1/).waitFor();
      expect(await answer.textContent()).not.toContain('tok9');
      expect(await page.getByRole('button', { name: 'Stop' }).isVisible()).toBe(true);
      await answer.getByText(/tok9/).waitFor();
      await page.getByRole('button', { name: 'Send' }).waitFor();
    }
    const [first, second] = chatRequests().slice(-2);
    expect(first.body.messages).toEqual([{ role: 'user', content: 'Hello there' }]);
    expect(second.body).toMatchObject({ stream: true, max_tokens: 10, model: 'fixture-model' });
    expect((second.body.messages as unknown[]).length).toBe(3);
    expect(await page.locator('li.turn[data-role="user"] pre').nth(1).textContent()).toBe('And **again**');
    await page.getByRole('status').filter({ hasText: 'tokens/s' }).waitFor();
    expect(await page.locator('ty-chat-tab .status-line').textContent()).toMatch(
      /first token \d+ ms · 10 tokens/,
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'inference-chat.png'), fullPage: true });
  });

  it('Stop ends a generation midway: the upstream request is closed, the partial answer kept', async () => {
    await tab('Model');
    await page.locator('#inf-p-max_tokens').fill('200');
    await tab('Chat');
    await page.locator('#inf-compose').fill('Tell me a long story');
    await page.getByRole('button', { name: 'Send' }).click();
    const answer = assistantTurns().nth(2);
    await answer.getByText(/tok2/).waitFor();
    await page.getByRole('button', { name: 'Stop' }).click();
    const request = chatRequests().at(-1)!;
    await waitFor(() => request.outcome === 'client-closed', 'the fixture to see the connection close', 5000);
    expect(request.produced!).toBeLessThan(100);
    await page.locator('ty-chat-tab .status-line', { hasText: 'stopped' }).waitFor();
    expect(await answer.textContent()).toContain('tok2');
  });

  it('keeps the conversation across a reload (per base URL and model)', async () => {
    await page.reload();
    await page.getByRole('heading', { name: 'Inference' }).waitFor();
    expect(await page.locator('#inf-base').inputValue()).toBe(fixture.url);
    await tab('Chat');
    await waitFor(async () => (await assistantTurns().count()) === 3, 'three assistant turns');
    expect(await page.locator('li.turn[data-role="user"] pre').allTextContents()).toEqual([
      'Hello there',
      'And **again**',
      'Tell me a long story',
    ]);
    expect(await assistantTurns().nth(0).textContent()).toContain('tok9');
  });

  it('edits a turn and re-runs from it; deletes a turn; regenerates the last answer', async () => {
    await tab('Model');
    await page.locator('#inf-p-max_tokens').fill('4');
    await tab('Chat');
    await page.getByRole('button', { name: 'Delete turn 6' }).click(); // the stopped answer
    await page.getByRole('button', { name: 'Delete turn 5' }).click();
    await page.getByRole('button', { name: 'Edit turn 3' }).click();
    await page.locator('#inf-edit-2').fill('Edited question');
    // A click's re-render lands a moment after it, so "Send is visible" alone may still be the page from
    // before it: wait for the fixture to have answered the new request, then for the page to show it.
    const rerunFrom = async (button: string) => {
      const before = chatRequests().length;
      await page.getByRole('button', { name: button }).click();
      await waitFor(() => chatRequests()[before]?.outcome === 'finished', `the ${button} request to finish`);
      await waitFor(
        async () =>
          (await page.locator('li.turn').count()) === 4 &&
          /tok3/.test((await assistantTurns().last().textContent()) ?? '') &&
          (await page.getByRole('button', { name: 'Send' }).isVisible()),
        `four turns, the last one answered, after ${button}`,
      );
      expect(chatRequests().length).toBe(before + 1);
    };
    await rerunFrom('Save and re-run');
    expect((chatRequests().at(-1)!.body.messages as Array<{ content: string }>).at(-1)!.content).toBe(
      'Edited question',
    );
    await rerunFrom('Regenerate');
    expect((chatRequests().at(-1)!.body.messages as Array<{ content: string }>).at(-1)!.content).toBe(
      'Edited question',
    );
  });

  it('says so when a streamed answer fails midway or is cut off, keeping what came', async () => {
    // Before: both looked like a finished answer ("first token … · 2 tokens"), with no error shown.
    await tab('Model');
    await page.locator('#inf-p-max_tokens').fill('10');
    for (const [model, said] of [
      ['fixture-error-mid', 'The server stopped with an error mid-answer: engine dead'],
      ['fixture-cut-mid', 'The answer was cut off: the server ended the stream before finishing it'],
    ]) {
      await tab('Model');
      await page.locator('#inf-model').fill(model);
      await tab('Chat');
      await page.locator('#inf-compose').fill('Hi');
      await page.getByRole('button', { name: 'Send' }).click();
      await page.locator('ty-chat-tab [role="alert"]', { hasText: said }).waitFor();
      expect(await assistantTurns().last().textContent()).toContain('tok1');
      await page.getByRole('button', { name: 'Send' }).waitFor();
    }
    await page.screenshot({ path: join(SCREENSHOTS, 'inference-cut-off.png'), fullPage: true });
    await tab('Model');
    await page.locator('#inf-model').fill('fixture-model');
  });

  it('keeps an error, and an answer streaming, with the conversation they belong to', async () => {
    // Before: the red error stayed under another model's empty conversation, and an answer still
    // streaming went on into whichever conversation was shown.
    await useModel('fixture-error-mid');
    await ask('hi');
    await chatAlert().filter({ hasText: 'engine dead' }).waitFor();
    await useModel('another-model');
    await page.getByText('No messages yet').waitFor();
    expect(await chatAlert().count()).toBe(0);
    await useModel('fixture-error-mid');
    await waitFor(async () => (await assistantTurns().count()) > 0, 'the conversation with the error');
    expect(await assistantTurns().last().textContent()).toContain('engine dead');

    await tab('Model');
    await page.locator('#inf-p-max_tokens').fill('30');
    await useModel('another-model');
    await ask('Count slowly');
    await assistantTurns().last().getByText(/tok1/).waitFor();
    await useModel('third-model');
    await page.getByText('No messages yet').waitFor();
    const asked = chatRequests().at(-1)!;
    await waitFor(() => asked.outcome === 'finished' || undefined, 'the answer to end', 15_000);
    expect(await page.locator('li.turn').count()).toBe(0);
    await useModel('another-model');
    await assistantTurns().last().getByText(/tok29/).waitFor();
    expect(await page.locator('li.turn').count()).toBe(2);
  });

  it('shows Stop only in the conversation that is generating; another one can send meanwhile', async () => {
    // Before: Stop (in place of Send) showed in whichever conversation was on screen.
    await tab('Model');
    await page.locator('#inf-p-max_tokens').fill('200'); // 24 s at the fixture's pace
    await useModel('slow-model');
    await ask('Count very slowly');
    await assistantTurns().last().getByText(/tok1/).waitFor();
    await useModel('quiet-model');
    await page.getByText('No messages yet').waitFor();
    expect(await page.getByRole('button', { name: 'Stop' }).count()).toBe(0);
    await page.locator('#inf-compose').fill('my own question');
    expect(await page.getByRole('button', { name: 'Send' }).isEnabled()).toBe(true);
    expect(await page.locator('ty-chat-tab .status-line').textContent()).toBe('');
    await page.locator('#inf-compose').fill('');
    // Back where it generates: its Stop, and it says so.
    await useModel('slow-model');
    expect(await page.locator('ty-chat-tab .status-line').textContent()).toBe('Generating…');
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.getByRole('button', { name: 'Send' }).waitFor();
    expect(await assistantTurns().last().locator('.cut-off').textContent()).toBe(
      'Incomplete: you stopped it',
    );
  });

  it('a question sent as the model changes goes into the new model’s conversation', async () => {
    // Before: the conversation followed the model a render later, so a question sent in between
    // went into the previous model's conversation (asked of the new model), and its answer and
    // error with it. CI's load once made a plain click that fast.
    await tab('Model');
    await page.locator('#inf-p-max_tokens').fill('3');
    await useModel('before-model');
    await page.locator('#inf-compose').fill('raced question');
    // In one task, as the fastest click would: the model committed, then Send, before any render.
    await page.locator('#inf-model').evaluate((model) => {
      (model as unknown as { value: string }).value = 'after-model';
      model.dispatchEvent(new Event('change'));
      const buttons = [...model.ownerDocument.querySelectorAll('ty-chat-tab button')];
      (buttons.find((b) => b.textContent?.trim() === 'Send') as unknown as { click(): void }).click();
    });
    await page.getByRole('button', { name: 'Send' }).waitFor(); // the answer ended
    expect(await page.locator('li.turn[data-role="user"]').allTextContents()).toEqual([
      expect.stringContaining('raced question'),
    ]);
    expect(chatRequests().at(-1)!.body.model).toBe('after-model');
    await useModel('before-model');
    await page.getByText('No messages yet').waitFor();
  });

  it('marks a stopped or failed answer as incomplete for as long as it is kept', async () => {
    // Before: once the status line moved on, a cut-off answer looked like a finished one.
    await tab('Model');
    await page.locator('#inf-p-max_tokens').fill('200');
    await useModel('fixture-model');
    // This answer's own turn: `.last()` could find an earlier answer holding tok2 before this one
    // started (CI, under load), and Stop would then come before any token.
    const before = await assistantTurns().count();
    await ask('A long story');
    const stopped = assistantTurns().nth(before);
    await stopped.getByText(/tok2/).waitFor();
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.getByRole('button', { name: 'Send' }).waitFor();
    await tab('Model');
    await page.locator('#inf-p-max_tokens').fill('3');
    await tab('Chat');
    const beforeShort = await assistantTurns().count();
    await ask('A short one');
    await assistantTurns().nth(beforeShort).getByText(/tok2/).waitFor();
    await page.getByRole('button', { name: 'Send' }).waitFor();
    const turns = await assistantTurns().count();
    expect(
      await assistantTurns()
        .nth(turns - 2)
        .locator('.cut-off')
        .textContent(),
    ).toBe('Incomplete: you stopped it');
    expect(await assistantTurns().last().locator('.cut-off').count()).toBe(0);
    // What goes up as history is the plain turns.
    for (const m of chatRequests().at(-1)!.body.messages as object[]) {
      expect(Object.keys(m).sort()).toEqual(['content', 'role']);
    }
    await page.reload();
    await tab('Chat');
    await waitFor(async () => (await assistantTurns().count()) === turns, 'the conversation after a reload');
    expect(await page.locator('.cut-off').allTextContents()).toEqual(['Incomplete: you stopped it']);
    await useModel('fixture-error-mid');
    expect(await assistantTurns().last().locator('.cut-off').textContent()).toBe(
      'Incomplete: The server stopped with an error mid-answer: engine dead',
    );
  });

  it('follows a streaming answer to its end unless the user scrolled up to read', async () => {
    // Before: a fast 512-token answer left the transcript at its top, the end cut off below.
    await tab('Model');
    await page.locator('#inf-base').fill(jobBase);
    await page.locator('#inf-base').press('Enter');
    await page.locator('.badge-ok', { hasText: 'reachable' }).waitFor();
    await page.locator('#inf-p-max_tokens').fill('512');
    await useModel('fixture-model');
    await ask('hi');
    await assistantTurns()
      .last()
      .getByText(/tok511/)
      .waitFor();
    await page.getByRole('button', { name: 'Send' }).waitFor();
    expect((await transcriptScroll()).fromEnd).toBeLessThan(2);

    // A slow answer: scrolled up mid-stream, the transcript stays put; asking again follows again.
    await tab('Model');
    await page.locator('#inf-base').fill(fixture.url);
    await page.locator('#inf-base').press('Enter');
    await page.locator('#inf-p-max_tokens').fill('25');
    await useModel('scroll-model');
    await ask(Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n'));
    await assistantTurns().last().getByText(/tok2/).waitFor();
    expect((await transcriptScroll()).fromEnd).toBeLessThan(2);
    await page.locator('ol.transcript').hover();
    await page.mouse.wheel(0, -300);
    await waitFor(async () => (await transcriptScroll()).fromEnd > 100, 'the transcript to scroll up');
    await page.waitForTimeout(300); // the wheel's scroll settled
    const { top } = await transcriptScroll();
    await assistantTurns().last().getByText(/tok24/).waitFor();
    await page.getByRole('button', { name: 'Send' }).waitFor();
    // Where the user was (give or take the turns' buttons, which come back when the answer ends).
    const after = await transcriptScroll();
    expect(after.fromEnd).toBeGreaterThan(100);
    expect(Math.abs(after.top - top)).toBeLessThan(20);
    await ask('more');
    await assistantTurns().nth(1).getByText(/tok24/).waitFor();
    await page.getByRole('button', { name: 'Send' }).waitFor();
    expect((await transcriptScroll()).fromEnd).toBeLessThan(2);
  });

  it('warns of a model the server does not serve, and names the served ones when a chat fails for it', async () => {
    // Before: nothing on the Model tab, and only "HTTP 404: The model `llama-typo` does not exist".
    const vllm = await startOpenAiFixture({ served: ['real-model'] });
    try {
      await tab('Model');
      await page.locator('#inf-base').fill(vllm.url);
      await page.locator('#inf-base').press('Enter');
      await page.getByText('1 model served: real-model').waitFor();
      await page.locator('#inf-model').fill('llama-typo');
      await page.locator('#inf-model').press('Tab');
      await page.getByText('The server does not serve llama-typo: it serves real-model').waitFor();
      await tab('Chat');
      await ask('hi');
      await chatAlert()
        .filter({
          hasText: 'HTTP 404: The model `llama-typo` does not exist. This server serves: real-model',
        })
        .waitFor();
      // The question is marked unanswered, and Retry asks it again (before: neither; only an edit
      // and re-run could, or the next question, sent joined with it).
      const question = page.locator('li.turn[data-role="user"]').last();
      await question.getByText('Not answered: HTTP 404').waitFor();
      const chatPath = (url: URL): boolean => url.pathname.endsWith('/chat/completions');
      const retried = page.waitForRequest((r) => chatPath(new URL(r.url())));
      await question.getByRole('button', { name: 'Retry' }).click();
      expect(JSON.parse((await retried).postData() ?? '{}').messages).toEqual([
        { role: 'user', content: 'hi' },
      ]);
      await question.getByText('Not answered: HTTP 404').waitFor();
      expect(await page.locator('li.turn').count()).toBe(1);

      // One that fails while another conversation is shown says so when its own is shown again, and
      // names the model it asked for (before: nothing; the question stood there unanswered).
      const chat = (url: URL): boolean => url.pathname.endsWith('/chat/completions');
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let held!: () => void;
      const holding = new Promise<void>((resolve) => (held = resolve));
      await page.route(chat, async (route) => {
        held();
        await released;
        await route.continue();
      });
      await useModel('llama-typo-2');
      await ask('hello');
      await holding;
      await useModel('real-model');
      await page.getByText('No messages yet').waitFor();
      const answered = page.waitForResponse((r) => chat(new URL(r.url())));
      release();
      await answered;
      await page.unroute(chat);
      await page.getByRole('button', { name: 'Send' }).waitFor();
      expect(await chatAlert().count()).toBe(0);
      await useModel('llama-typo-2');
      await chatAlert()
        .filter({
          hasText: 'HTTP 404: The model `llama-typo-2` does not exist. This server serves: real-model',
        })
        .waitFor();
      // The unanswered question and the next one go up as one user turn: two in a row (before) are
      // refused by chat templates that require user and assistant to alternate.
      const sent = page.waitForRequest((r) => chat(new URL(r.url())));
      await ask('again?');
      const wire = JSON.parse((await sent).postData() ?? '{}') as { messages: unknown[] };
      expect(wire.messages).toEqual([{ role: 'user', content: 'hello\n\nagain?' }]);
    } finally {
      await vllm.close();
    }
  });

  it('Datasets: an added server shows up, is up, and previews rows page by page', async () => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Datasets' }).click();
    await page.getByText('No dataset_server job is running.').waitFor();
    await page.getByText('None added yet.').waitFor();
    const base = `http://127.0.0.1:${(datasets.address() as { port: number }).port}`;
    await page.locator('#ds-label').fill('fixture data');
    await page.locator('#ds-url').fill(base);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const row = page.locator(`li[data-server="${base}"]`);
    await row.locator('.badge-ok').waitFor();
    await row.getByRole('button', { name: /^fixture data/ }).click();
    await page.locator('#ds-handle').fill('wiki');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('cell', { name: 'row 24' }).waitFor();
    await page.getByRole('button', { name: 'Next ›' }).click();
    await page.getByRole('cell', { name: 'row 29' }).waitFor();
    expect(await page.getByRole('button', { name: 'Next ›' }).isDisabled()).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'datasets.png'), fullPage: true });
    await page.setViewportSize({ width: 800, height: 860 });
    await page.screenshot({ path: join(SCREENSHOTS, 'datasets-800.png'), fullPage: true });
    await row.getByRole('button', { name: 'Remove fixture data' }).click();
    await page.getByText('None added yet.').waitFor();
  });
});
