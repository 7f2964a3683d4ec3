import { LogDecoder } from './log-decoder';

const bytes = (...values: number[]) => new Uint8Array(values);

describe('LogDecoder', () => {
  it('shows invalid bytes as U+FFFD instead of dropping them', () => {
    const decoder = new LogDecoder();
    // "a", a lone continuation byte, "b", 0xff, "c", an overlong "/" (C0 AF), "\n"
    expect(decoder.push(bytes(0x61, 0x80, 0x62, 0xff, 0x63, 0xc0, 0xaf, 0x0a))).toBe(
      'a\ufffdb\ufffdc\ufffd\ufffd\n',
    );
  });

  it('decodes a character split across chunks', () => {
    const decoder = new LogDecoder();
    const euro = [0xe2, 0x82, 0xac]; // €
    const emoji = [0xf0, 0x9f, 0x98, 0x80]; // 😀
    const out = [
      decoder.push(bytes(0x78, euro[0])),
      decoder.push(bytes(euro[1])),
      decoder.push(bytes(euro[2], ...emoji.slice(0, 3))),
      decoder.push(bytes(emoji[3], 0x0a)),
    ];
    expect(out.join('')).toBe('x€😀\n');
    expect(out[0]).toBe('x');
    expect(out[1]).toBe('');
  });

  it('ends a truncated character as U+FFFD on flush, and counts line feeds', () => {
    const decoder = new LogDecoder();
    expect(decoder.push(bytes(0x0a, 0x61, 0x0a, 0x0a))).toBe('\na\n\n');
    expect(decoder.newlines).toBe(3);
    expect(decoder.atLineStart).toBe(true);
    expect(decoder.push(bytes(0x62, 0xe2, 0x82))).toBe('b');
    expect(decoder.atLineStart).toBe(false);
    expect(decoder.flush()).toBe('\ufffd');
    decoder.reset();
    expect(decoder.newlines).toBe(0);
  });
});
