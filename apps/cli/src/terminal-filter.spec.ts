import { TerminalOutputFilter } from './terminal-filter';

const E = '\u001b';
/** Runs `input` through a fresh filter in one chunk. */
function filter(input: string | Buffer): string {
  const sut = new TerminalOutputFilter();
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  return Buffer.concat([sut.write(bytes), sut.end()]).toString('latin1');
}

describe(TerminalOutputFilter.name, () => {
  it.each<[string, string, string]>([
    ['plain text and \\t \\n \\r \\b BEL', 'a\tb\r\nc\bd\u0007', 'a\tb\r\nc\bd\u0007'],
    [
      'SGR colours',
      `${E}[31mred${E}[0m ${E}[1;38;5;208mx${E}[m`,
      `${E}[31mred${E}[0m ${E}[1;38;5;208mx${E}[m`,
    ],
    [
      'progress bar: \\r, erase line, cursor up',
      `\r50%${E}[K\r100%${E}[2K${E}[1A${E}[3G`,
      `\r50%${E}[K\r100%${E}[2K${E}[1A${E}[3G`,
    ],
    ['cursor hide/show, save/restore', `${E}[?25l${E}7x${E}8${E}[?25h`, `${E}[?25l${E}7x${E}8${E}[?25h`],
    ['charset designation (tput sgr0)', `${E}(B${E}[m`, `${E}(B${E}[m`],
    ['other charsets (DEC line drawing garbles all later text)', `a${E}(0q${E})0b`, 'aqb'],
    [
      'SGR 8 conceal, alone or among others',
      `${E}[8msecret${E}[0m ${E}[1;8;31mx`,
      `secret${E}[0m ${E}[1;31mx`,
    ],
    [
      'a colour numbered 8 is not conceal',
      `${E}[38;5;8mgrey${E}[48;2;8;8;8m${E}[8;38;5;8m`,
      `${E}[38;5;8mgrey${E}[48;2;8;8;8m${E}[38;5;8m`,
    ],
    ['OSC title, BEL-terminated', `a${E}]0;pwned\u0007b`, 'ab'],
    ['OSC 52 clipboard, ST-terminated', `a${E}]52;c;ZWNobyBoaQ==${E}\\b`, 'ab'],
    ['OSC 8 hyperlink', `${E}]8;;http://evil${E}\\click${E}]8;;${E}\\`, 'click'],
    ['DCS DECRQSS query', `a${E}P$qm${E}\\b`, 'ab'],
    ['APC, PM, SOS strings', `${E}_x${E}\\${E}^y${E}\\${E}Xz${E}\\ok`, 'ok'],
    ['DSR / cursor position report queries', `a${E}[6n${E}[5nb`, 'ab'],
    ['device attributes queries', `a${E}[c${E}[>0c${E}[=cb`, 'ab'],
    ['window ops (title report, resize)', `a${E}[21t${E}[8;100;100tb`, 'ab'],
    [
      'DECRQM and other mode changes (mouse reporting, alt screen)',
      `a${E}[?1000h${E}[?1049h${E}[?2004h${E}[?25$pb`,
      'ab',
    ],
    ['ESC Z (DECID), ESC c (reset), ESC # 8 (screen fill)', `a${E}Z${E}c${E}#8b`, 'ab'],
    ['ENQ (answerback), SO/SI shifts, DEL', 'a\u0005\u000e\u000f\u007fb', 'ab'],
    ['8-bit C1 CSI (U+009B) as a query, and as SGR', 'a\u00c2\u009b6n\u00c2\u009b31mb', `a${E}[31mb`],
    ['8-bit C1 OSC (U+009D) ended by 8-bit ST', 'a\u00c2\u009d0;t\u00c2\u009cb', 'ab'],
    [
      'UTF-8 text, including U+00A0–U+00BF (lead byte 0xC2)',
      'é \u00c2\u00a0 \u00c2\u00bf',
      'é \u00c2\u00a0 \u00c2\u00bf',
    ],
    ['an unterminated OSC swallows the rest (bounded)', `a${E}]0;${'x'.repeat(10000)}`, 'a'],
    ['a CSI too long to be a kept one', `a${E}[${'1;'.repeat(100)}mb`, 'ab'],
    ['CAN aborts a sequence', `a${E}[31\u0018mb`, 'amb'],
  ])('%s', (_name, input, expected) => {
    expect(filter(input)).toBe(expected);
  });

  it('restore() undoes what the output changed (colours, hidden cursor, scroll region), and only that', () => {
    const plain = new TerminalOutputFilter();
    plain.write(Buffer.from('just text\r\n'));
    expect(plain.restore().toString('latin1')).toBe('');
    const styled = new TerminalOutputFilter();
    styled.write(Buffer.from(`${E}[31mred${E}[?25l`, 'latin1'));
    expect(styled.restore().toString('latin1')).toBe(`${E}[0m${E}[?25h${E}[?7h${E}(B`);
    expect(styled.restore().toString('latin1')).toBe(''); // once
    const scrolled = new TerminalOutputFilter();
    scrolled.write(Buffer.from(`${E}[1;10r`, 'latin1'));
    expect(scrolled.restore().toString('latin1')).toBe(`${E}7${E}[r${E}8`);
  });

  it('gives the same output however the input is split into chunks', () => {
    const input = Buffer.from(
      `start ${E}[31mred${E}[0m${E}]0;title\u0007 \r10%${E}[K${E}P$qm${E}\\ é\u00c2\u009b6n ${E}]52;c;x${E}\\end${E}[?25l`,
      'latin1',
    );
    const whole = filter(input);
    for (let a = 0; a <= input.length; a++) {
      for (let b = a; b <= input.length; b += 3) {
        const sut = new TerminalOutputFilter();
        const parts = [input.subarray(0, a), input.subarray(a, b), input.subarray(b)].map((p) =>
          sut.write(p),
        );
        expect({ a, b, out: Buffer.concat([...parts, sut.end()]).toString('latin1') }).toEqual({
          a,
          b,
          out: whole,
        });
      }
    }
    expect(whole).toBe(`start ${E}[31mred${E}[0m \r10%${E}[K é end${E}[?25l`);
  });
});
