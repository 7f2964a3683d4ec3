import { containsPattern } from './like-pattern';

describe('containsPattern', () => {
  it('escapes LIKE wildcards and the escape character itself', () => {
    expect(containsPattern('100%_a\\b')).toBe('%100\\%\\_a\\\\b%');
  });
});
