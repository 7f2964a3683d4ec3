import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeStats, generate } from './inference-client';

/** One non-streamed completion answer, as the proxy passes it on. */
function answerWith(body: object): void {
  vi.stubGlobal(
    'fetch',
    vi.fn(() => Promise.resolve(new Response(JSON.stringify(body), { status: 200 }))),
  );
}

const complete = () =>
  generate({
    endpoint: 'completions',
    base: 'http://127.0.0.1:8000/v1',
    body: { model: 'm', prompt: 'Once upon a time', stream: false },
    signal: new AbortController().signal,
    onText: () => undefined,
  });

describe(generate.name, () => {
  afterEach(() => vi.unstubAllGlobals());

  it('counts an answer in one piece by its usage, and claims no count without one (before: "1 token")', async () => {
    answerWith({ choices: [{ text: ' there was a long story.' }], usage: { completion_tokens: 512 } });
    const counted = await complete();
    expect(counted.tokens).toBe(512);
    expect(describeStats(counted)).toMatch(/^512 tokens · [\d.]+ tokens\/s · /);

    answerWith({ choices: [{ text: ' there was a long story.' }] });
    const uncounted = await complete();
    expect(uncounted).toMatchObject({ tokens: null, tokensPerSecond: null });
    expect(describeStats(uncounted)).not.toContain('token');
  });
});
