import { errorMessage } from '../core/api';
import { proxyFetch, upstreamFailure } from '../core/upstream';
import { chunkText, openAiChunks, StreamCutOffError } from './sse';

/** `/api/inference/<endpoint>?base=` — the server's proxy to an OpenAI-compatible server. */
export function proxyUrl(endpoint: string, base: string): string {
  return `/api/inference/${endpoint}?base=${encodeURIComponent(base)}`;
}

const call = (endpoint: string, base: string, init: RequestInit = {}) =>
  proxyFetch(proxyUrl(endpoint, base), init);

/**
 * Reachability: `<root>/health` answers 2xx. vLLM (and SGLang, TGI, llama.cpp) serve it at the
 * server's root, not under `/v1`: a base ending in `/v1` is checked at its root first, and at
 * `<base>/health` only when the root has none (404). Trying `/v1/health` first made every Test of a
 * healthy vLLM log a red "404" in the browser console.
 */
export async function checkHealth(base: string): Promise<void> {
  const root = healthRoot(base);
  if (root === base) {
    await call('health', base);
    return;
  }
  const res = await fetch(proxyUrl('health', root), { credentials: 'same-origin', cache: 'no-store' });
  if (res.ok) return;
  if (res.status !== 404) throw new Error(await upstreamFailure(res));
  await call('health', base);
}

/** Where a base URL's `/health` is looked for first: `http://h:8000/v1` → `http://h:8000`. */
export function healthRoot(base: string): string {
  return base.replace(/\/v1\/?$/, '');
}

/** Model ids from `<base>/models`. */
export async function listModels(base: string): Promise<string[]> {
  const body = (await (await call('models', base)).json()) as { data?: Array<{ id?: unknown }> };
  return (body.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === 'string');
}

/**
 * A failed generation in words. A 404 for a model the server does not serve (vLLM's "The model `x`
 * does not exist") also names the ones it does, when they were listed.
 */
export function generationFailure(err: unknown, model: string, served: readonly string[]): string {
  const text = errorMessage(err);
  if (!text.startsWith('HTTP 404') || !served.length || served.includes(model)) return text;
  return `${text}. This server serves: ${served.join(', ')}`;
}

export interface GenerationStats {
  /** Request sent → first text received, ms (null when nothing came, or not streamed). */
  ttftMs: number | null;
  /**
   * Tokens generated: the server's usage count, else (streamed) the chunks with text received; null
   * when neither tells: an answer in one piece without `usage` (it is not one token).
   */
  tokens: number | null;
  elapsedMs: number;
  /** tokens / elapsed seconds (null when nothing came). */
  tokensPerSecond: number | null;
  /** Ended by the user's Stop (the text so far is kept). */
  stopped: boolean;
  /** Why the answer is incomplete when the stream ended early (the text so far is kept); else null. */
  cutOff: string | null;
}

/**
 * Runs one generation; `onText` gets each piece as it arrives (once, all of it, when not streamed).
 * Aborting `signal` stops reading, which closes the request, which the proxy passes upstream.
 */
export async function generate(opts: {
  endpoint: 'completions' | 'chat/completions';
  base: string;
  body: Record<string, unknown>;
  signal: AbortSignal;
  onText: (piece: string) => void;
}): Promise<GenerationStats> {
  const started = performance.now();
  let first: number | null = null;
  let chunks = 0;
  let usage: number | null = null;
  let stopped = false;
  let cutOff: string | null = null;
  const take = (text: string) => {
    if (!text) return;
    first ??= performance.now();
    chunks++;
    opts.onText(text);
  };
  try {
    const res = await call(opts.endpoint, opts.base, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: opts.body['stream'] ? 'text/event-stream' : 'application/json',
      },
      body: JSON.stringify(opts.body),
      signal: opts.signal,
    });
    if (opts.body['stream'] && res.body) {
      for await (const chunk of openAiChunks(res.body)) {
        const tokens = (chunk as { usage?: { completion_tokens?: unknown } }).usage?.completion_tokens;
        if (typeof tokens === 'number') usage = tokens;
        take(chunkText(chunk));
      }
    } else {
      const body = (await res.json()) as {
        choices?: Array<{ message?: { content?: unknown }; text?: unknown }>;
        usage?: { completion_tokens?: unknown };
      };
      const choice = body.choices?.[0];
      const text = choice?.message?.content ?? choice?.text;
      take(typeof text === 'string' ? text : '');
      if (typeof body.usage?.completion_tokens === 'number') usage = body.usage.completion_tokens;
    }
  } catch (err) {
    if (err instanceof StreamCutOffError) cutOff = err.message;
    else if (!opts.signal.aborted) throw err;
    else stopped = true;
  }
  const elapsedMs = performance.now() - started;
  const tokens = usage ?? (opts.body['stream'] ? chunks : null);
  return {
    ttftMs: opts.body['stream'] && first !== null ? first - started : null,
    tokens,
    elapsedMs,
    tokensPerSecond: tokens !== null && tokens > 0 && elapsedMs > 0 ? tokens / (elapsedMs / 1000) : null,
    stopped,
    cutOff,
  };
}

/** `ttft 120 ms · 57 tokens · 41.2 tok/s · 1.4 s`, for the status line. */
export function describeStats(s: GenerationStats): string {
  const parts = [
    ...(s.ttftMs !== null ? [`first token ${Math.round(s.ttftMs)} ms`] : []),
    ...(s.tokens !== null ? [`${s.tokens} token${s.tokens === 1 ? '' : 's'}`] : []),
    ...(s.tokensPerSecond !== null ? [`${s.tokensPerSecond.toFixed(1)} tokens/s`] : []),
    `${(s.elapsedMs / 1000).toFixed(1)} s`,
    ...(s.stopped ? ['stopped'] : []),
  ];
  return parts.join(' · ');
}
