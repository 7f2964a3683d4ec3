import { parse } from 'yaml';
import { yamlErrorLine } from './yaml-error';

describe(yamlErrorLine.name, () => {
  it('keeps the reason and the place, without the excerpt and the colon that led to it', () => {
    let err: unknown;
    try {
      parse('a: [1, 2\nb: 3\n');
    } catch (e) {
      err = e;
    }
    expect(yamlErrorLine(err)).toBe(
      'Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1',
    );
  });
});
