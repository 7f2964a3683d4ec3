import {
  displayWidth,
  formatAge,
  formatDuration,
  MIN_LAST_COLUMN,
  renderPairs,
  renderTable,
  shellWord,
  truncate,
} from './format';

describe(formatDuration.name, () => {
  it.each<[number | null, string]>([
    [null, '-'],
    [-1, '-'],
    [0, '0s'],
    [59.9, '59s'],
    [60, '1m00s'],
    [185, '3m05s'],
    [3600, '1h00m'],
    [7620, '2h07m'],
    [86400 * 3 + 3600 * 4 + 59, '3d04h'],
  ])('%j s → %s', (seconds, expected) => {
    expect(formatDuration(seconds)).toBe(expected);
  });
});

describe(formatAge.name, () => {
  it('measures from now; clock skew reads as 0s', () => {
    const now = Date.parse('2026-01-01T00:10:00Z');
    expect(formatAge('2026-01-01T00:05:30Z', now)).toBe('4m30s');
    expect(formatAge('2026-01-01T00:10:05Z', now)).toBe('0s');
    expect(formatAge(null, now)).toBe('-');
  });
});

describe(renderTable.name, () => {
  it('aligns columns (right-aligned numbers), styles after padding, does not pad the last column', () => {
    const star = (text: string) => `*${text}*`;
    const sut = renderTable(
      [{ header: 'ID' }, { header: 'N', align: 'right' }, { header: 'NOTE' }],
      [
        ['a', '1', 'short'],
        [{ text: 'bbb', style: star }, '100', ''],
      ],
    );
    expect(sut).toBe('ID     N  NOTE\na      1  short\n*bbb*  100\n');
  });

  it('cuts the last column to fit `width`, leaving it at least MIN_LAST_COLUMN; whole without one', () => {
    const note = 'n'.repeat(200);
    const rows = [['abc', note]];
    const columns = [{ header: 'ID' }, { header: 'NOTE' }];
    expect(renderTable(columns, rows)).toContain(note);
    const fitted = renderTable(columns, rows, { width: 60 }).split('\n')[1];
    expect(fitted).toBe(`abc  ${'n'.repeat(54)}…`);
    expect(fitted).toHaveLength(60);
    const narrow = renderTable(columns, rows, { width: 10 }).split('\n')[1];
    expect(narrow).toBe(`abc  ${'n'.repeat(MIN_LAST_COLUMN - 1)}…`);
  });

  it('aligns names of wide characters (CJK, emoji) and combining accents by the columns they take', () => {
    const sut = renderTable(
      [{ header: 'NAME' }, { header: 'N', align: 'right' }, { header: 'STATUS' }],
      [
        ['训练', '1', 'done'],
        ['🚀x', '22', 'done'],
        ['cafe\u0301', '3', 'done'],
        ['plain', '4', 'done'],
      ],
    );
    const lines = sut.trimEnd().split('\n');
    // Every STATUS starts in the same terminal column.
    expect(new Set(lines.map((line) => displayWidth(line.slice(0, line.lastIndexOf(' ') + 1))))).toEqual(
      new Set([displayWidth('plain   4  ')]),
    );
    expect(lines[1]).toBe('训练    1  done');
  });

  it('measures the text as shown: an escaped ESC is the 4 characters \\x1b', () => {
    const sut = renderTable([{ header: 'NOTE' }], [['\u001b'.repeat(40)]], { width: 31 });
    expect(sut.split('\n')[1]).toBe(`${'\\x1b'.repeat(7)}\\x…`);
  });
});

describe(renderPairs.name, () => {
  it('aligns keys', () => {
    expect(
      renderPairs([
        ['id', 'x'],
        ['status', 'done'],
      ]),
    ).toBe('id      x\nstatus  done\n');
  });
});

describe(truncate.name, () => {
  it('cuts with an ellipsis', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
  });

  it('counts terminal columns and never cuts a character in half', () => {
    expect(truncate('训练数据集', 6)).toBe('训练…'); // 2 + 2 + 1
    expect(truncate('a🚀🚀🚀', 4)).toBe('a🚀…'); // 1 + 2 + 1: never half an emoji
    expect(truncate('👩‍🔬👩‍🔬👩‍🔬', 5)).toBe('👩‍🔬👩‍🔬…');
    expect(truncate('cafe\u0301s', 5)).toBe('cafe\u0301s');
    expect(truncate('cafe\u0301sss', 5)).toBe('cafe\u0301…');
  });
});

describe('escaping', () => {
  it('is applied to every table cell and pair value, with widths measured after escaping', () => {
    const table = renderTable([{ header: 'NAME' }, { header: 'NOTE' }], [['a\u001b[2J', 'b\u202e']]);
    expect(table).toBe('NAME      NOTE\na\\x1b[2J  b\\u202e\n');
    expect(renderPairs([['name', 'x\u0007']])).toBe('name  x\\x07\n');
    expect(
      renderPairs([
        ['a\nb', 'v'],
        ['c', 'w'],
      ]),
    ).toBe('a\\nb  v\nc     w\n');
  });
});

describe(shellWord.name, () => {
  it('leaves a plain value bare and quotes one a shell would split, empty or with quotes', () => {
    expect(shellWord('/usr/bin:/bin')).toBe('/usr/bin:/bin');
    expect(shellWord('x B=y')).toBe("'x B=y'");
    expect(shellWord('')).toBe("''");
    expect(shellWord("it's")).toBe("'it'\\''s'");
    expect(shellWord('$HOME')).toBe("'$HOME'");
  });
});
