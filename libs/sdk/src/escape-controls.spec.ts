import { escapeControls } from './escape-controls';

describe(escapeControls.name, () => {
  it.each<[string, string, string]>([
    ['OSC title in a job name', 'job\u001b]0;pwned\u0007', 'job\\x1b]0;pwned\\x07'],
    ['CSI clear screen', '\u001b[2Jx', '\\x1b[2Jx'],
    ['bidi override (right-to-left trick)', 'evil\u202Etxt.exe', 'evil\\u202etxt.exe'],
    ['bidi isolates and marks', '\u2066a\u2069\u200f\u061c', '\\u2066a\\u2069\\u200f\\u061c'],
    ['newline, tab, CR', 'a\nb\tc\rd', 'a\\nb\\tc\\rd'],
    ['8-bit C1 CSI, DEL', '\u009b6n\u007f', '\\x9b6n\\x7f'],
    ['ordinary Unicode stays', 'Größe 🚀 日本', 'Größe 🚀 日本'],
  ])('%s', (_name, input, expected) => {
    expect(escapeControls(input)).toBe(expected);
  });

  it('keeps the line breaks and tabs of a message printed on lines of its own, and escapes the rest', () => {
    expect(escapeControls('bad YAML:\n\targs:\n^\r\u001b[2J', { multiline: true })).toBe(
      'bad YAML:\n\targs:\n^\\r\\x1b[2J',
    );
  });
});
