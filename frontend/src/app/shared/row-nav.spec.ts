import { rowStep, stepRow } from './row-nav';

describe('stepRow', () => {
  const ids = ['a', 'b', 'c'];

  it('moves from the given row, stopping at the first and last', () => {
    expect(stepRow(ids, 'a', 1)).toBe('b');
    expect(stepRow(ids, 'b', -1)).toBe('a');
    expect(stepRow(ids, 'c', 1)).toBe('c');
    expect(stepRow(ids, 'a', -1)).toBe('a');
  });

  it('starts at the first row when none is given or it is gone, and has nothing for no rows', () => {
    expect(stepRow(ids, null, 1)).toBe('a');
    expect(stepRow(ids, 'gone', -1)).toBe('a');
    expect(stepRow([], null, 1)).toBeNull();
  });
});

describe('rowStep', () => {
  const press = (key: string) => new KeyboardEvent('keydown', { key });

  it('reads j/k anywhere and the arrows only with focus in the rows', () => {
    const body = document.createElement('tbody');
    const row = document.createElement('tr');
    row.tabIndex = -1;
    body.append(row);
    const table = document.createElement('table');
    table.append(body);
    document.body.append(table);
    try {
      expect(rowStep(press('j'), body)).toBe(1);
      expect(rowStep(press('k'), body)).toBe(-1);
      expect(rowStep(press('x'), body)).toBe(0);
      expect(rowStep(press('ArrowDown'), body)).toBe(0);
      row.focus();
      expect(rowStep(press('ArrowDown'), body)).toBe(1);
      expect(rowStep(press('ArrowUp'), body)).toBe(-1);
    } finally {
      table.remove();
    }
  });
});
