/**
 * Turns a log's byte stream into text for the terminal: UTF-8 decoded across chunk boundaries (a
 * character split between two WebSocket frames still decodes), invalid bytes shown as U+FFFD
 * rather than dropped (xterm's own byte decoder skips them silently), and line feeds counted.
 */
export class LogDecoder {
  private decoder = new TextDecoder('utf-8');
  /** Line feeds seen since the last reset. */
  newlines = 0;
  /** The last byte seen was a line feed (or nothing was seen): the terminal is at a line start. */
  atLineStart = true;

  /** The text of `bytes`; an incomplete character at the end waits for the next chunk. */
  push(bytes: Uint8Array): string {
    this.newlines += countNewlines(bytes);
    if (bytes.length) this.atLineStart = bytes[bytes.length - 1] === 0x0a;
    return this.decoder.decode(bytes, { stream: true });
  }

  /** What an incomplete character at the end of the stream becomes (U+FFFD), and starts over. */
  flush(): string {
    return this.decoder.decode();
  }

  reset(): void {
    this.decoder = new TextDecoder('utf-8');
    this.newlines = 0;
    this.atLineStart = true;
  }
}

export function countNewlines(bytes: Uint8Array): number {
  let count = 0;
  for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) count++;
  return count;
}
