import { SseDecoder, StreamCutOffError, chunkText, openAiChunks } from './sse';

const event = (text: string) => `data: ${JSON.stringify({ choices: [{ delta: { content: text } }] })}\n\n`;

function streamOf(parts: Array<string | Uint8Array>): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const p of parts) controller.enqueue(typeof p === 'string' ? enc.encode(p) : p);
      controller.close();
    },
  });
}

async function texts(body: ReadableStream<Uint8Array>): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of openAiChunks(body)) out.push(chunkText(chunk));
  return out;
}

describe('SseDecoder', () => {
  it('completes an event only at its blank line, whatever the chunk boundaries inside a line', () => {
    const sse = new SseDecoder();
    expect(sse.push('da')).toEqual([]);
    expect(sse.push('ta: {"a"')).toEqual([]);
    expect(sse.push(':1}\n')).toEqual([]);
    expect(sse.push('\n')).toEqual(['{"a":1}']);
  });

  it('returns every event of a chunk that holds several, in order', () => {
    const sse = new SseDecoder();
    expect(sse.push('data: one\n\ndata: two\n\ndata: thr')).toEqual(['one', 'two']);
    expect(sse.push('ee\n\n')).toEqual(['three']);
  });

  it('treats CRLF split across chunks as one line end, and CR alone as one too', () => {
    const sse = new SseDecoder();
    expect(sse.push('data: a\r')).toEqual([]);
    expect(sse.push('\n\r')).toEqual([]);
    expect(sse.push('\ndata: b\r\rdata: c\n\n')).toEqual(['a', 'b', 'c']);
  });

  it('joins multi-line data with \\n, ignores comments and other fields, strips one space', () => {
    const sse = new SseDecoder();
    expect(sse.push(': keep-alive\nevent: x\nid: 3\ndata:l1\ndata:  l2\n\n')).toEqual(['l1\n l2']);
    expect(sse.push('\n\n')).toEqual([]); // blank lines without data dispatch nothing
  });
});

describe('openAiChunks', () => {
  it('yields each chunk until [DONE] and ignores anything after it', async () => {
    const body = streamOf([event('Hel') + event('lo'), 'data: [DONE]\n\n', event('after')]);
    expect(await texts(body)).toEqual(['Hel', 'lo']);
  });

  it('decodes a UTF-8 character split between two network chunks', async () => {
    const bytes = new TextEncoder().encode(event('é✓'));
    const cut = bytes.indexOf(0xe2) + 1; // inside the 3-byte ✓
    expect(await texts(streamOf([bytes.slice(0, cut), bytes.slice(cut), 'data: [DONE]\n\n']))).toEqual([
      'é✓',
    ]);
  });

  it('reads completion chunks (choices[0].text); a body that ends after a finish_reason is complete without [DONE]', async () => {
    const body = streamOf([
      'data: {"choices":[{"text":" tok0"}]}\n\ndata: {"choices":[{"text":" tok1","finish_reason":"stop"}]}\n\n',
    ]);
    expect(await texts(body)).toEqual([' tok0', ' tok1']);
  });

  it('fails as cut off when the body ends without [DONE] or a finish_reason, after yielding what came', async () => {
    // Before: a model that died midway looked like a finished answer.
    const seen: string[] = [];
    const reading = (async () => {
      for await (const chunk of openAiChunks(streamOf([event('Hello'), event(' there')])))
        seen.push(chunkText(chunk));
    })();
    await expect(reading).rejects.toBeInstanceOf(StreamCutOffError);
    expect(seen).toEqual(['Hello', ' there']);
  });

  it.each([
    ['{"object":"error","message":"engine dead","code":500}', 'engine dead'],
    ['{"error":{"message":"CUDA out of memory","type":"InternalServerError"}}', 'CUDA out of memory'],
  ])('fails with the server’s message on an error chunk mid-stream (%s)', async (payload, message) => {
    const body = streamOf([event('Hello'), `data: ${payload}\n\n`]);
    await expect(texts(body)).rejects.toThrow(`The server stopped with an error mid-answer: ${message}`);
  });

  it('fails on a payload that is not JSON', async () => {
    await expect(texts(streamOf(['data: <html>\n\n']))).rejects.toThrow(/not JSON/);
  });
});
