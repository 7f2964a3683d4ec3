/**
 * Server-sent events as OpenAI-compatible servers stream them (`data: {...}` events, then
 * `data: [DONE]`), parsed incrementally: chunks may split a line, a CRLF pair or a UTF-8 character
 * anywhere, and one chunk may carry many events. Follows the WHATWG event-stream rules for the
 * `data` field (other fields and `:` comments are ignored).
 */
export class SseDecoder {
  private buffer = '';
  private data: string[] = [];

  /** Feeds decoded text; returns the `data` payloads of the events it completed, in order. */
  push(text: string): string[] {
    this.buffer += text;
    const events: string[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== '\n' && c !== '\r') continue;
      // A CR at the very end may be the first half of a CRLF: wait for the next chunk.
      if (c === '\r' && i === this.buffer.length - 1) break;
      this.line(this.buffer.slice(start, i), events);
      if (c === '\r' && this.buffer[i + 1] === '\n') i++;
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /** End of stream: an event cut off before its blank line is dropped, as the standard says. */
  end(): void {
    this.buffer = '';
    this.data = [];
  }

  private line(line: string, events: string[]): void {
    if (line === '') {
      if (this.data.length) events.push(this.data.join('\n'));
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
  }
}

/** One streamed chunk's text: chat `choices[0].delta.content`, or completion `choices[0].text`. */
export function chunkText(chunk: unknown): string {
  const choice = (chunk as { choices?: Array<{ delta?: { content?: unknown }; text?: unknown }> })
    ?.choices?.[0];
  const text = choice?.delta?.content ?? choice?.text;
  return typeof text === 'string' ? text : '';
}

/** The stream ended before the answer did: no `[DONE]`, and no chunk said why it finished. */
export class StreamCutOffError extends Error {
  constructor() {
    super('The answer was cut off: the server ended the stream before finishing it (no [DONE]).');
  }
}

/**
 * The error an OpenAI-compatible server streams in place of a chunk when generation fails midway
 * (`{"error": {"message"}}`, or vLLM's `{"object": "error", "message"}`); null for a normal chunk.
 */
export function streamedError(chunk: unknown): string | null {
  const c = chunk as { error?: unknown; object?: unknown; message?: unknown } | null;
  if (!c || typeof c !== 'object') return null;
  if (c.error !== undefined && c.error !== null) {
    const inner = (c.error as { message?: unknown }).message;
    return typeof inner === 'string'
      ? inner
      : typeof c.error === 'string'
        ? c.error
        : JSON.stringify(c.error);
  }
  if (c.object === 'error') return typeof c.message === 'string' ? c.message : 'unknown error';
  return null;
}

/**
 * The JSON chunks of an OpenAI stream until `[DONE]`. Fails with the server's message on an error
 * chunk, with StreamCutOffError when the body ends without `[DONE]` and no chunk gave a
 * `finish_reason` (the model or server died midway), and on a payload that is not JSON (the upstream
 * is not speaking the protocol). The chunks before a failure were yielded already.
 */
export async function* openAiChunks(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const sse = new SseDecoder();
  let finished = false;
  try {
    for (;;) {
      let read: ReadableStreamReadResult<Uint8Array>;
      try {
        read = await reader.read();
      } catch (err) {
        throw new Error(
          `The connection broke mid-answer (the server or the model stopped): ${(err as Error).message}`,
        );
      }
      const { done, value } = read;
      const events = sse.push(done ? decoder.decode() : decoder.decode(value, { stream: true }));
      for (const data of events) {
        if (data.trim() === '[DONE]') return;
        let chunk: unknown;
        try {
          chunk = JSON.parse(data) as unknown;
        } catch {
          throw new Error(`The server sent an event that is not JSON: ${data.slice(0, 80)}`);
        }
        const error = streamedError(chunk);
        if (error !== null) throw new Error(`The server stopped with an error mid-answer: ${error}`);
        const reason = (chunk as { choices?: Array<{ finish_reason?: unknown }> }).choices?.[0]
          ?.finish_reason;
        if (typeof reason === 'string' && reason) finished = true;
        yield chunk;
      }
      if (done) {
        if (finished) return;
        throw new StreamCutOffError();
      }
    }
  } finally {
    sse.end();
    // Stops the download (and so, through the proxy, the upstream generation) when the caller
    // leaves early; a no-op once the body ended.
    await reader.cancel().catch(() => undefined);
  }
}
