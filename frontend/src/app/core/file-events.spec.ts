import { TestBed } from '@angular/core/testing';
import { type FileEvent, FileEvents, followPath } from './file-events';

describe('followPath', () => {
  const renamed: FileEvent = { kind: 'renamed', from: '/w/proj/a', to: '/w/proj/b' };
  const deleted: FileEvent = { kind: 'deleted', path: '/w/proj/a' };

  it.each([
    ['the renamed path itself', '/w/proj/a', '/w/proj/b'],
    ['a file under a renamed directory', '/w/proj/a/x/y.yaml', '/w/proj/b/x/y.yaml'],
    ['a sibling sharing the prefix', '/w/proj/ab.yaml', '/w/proj/ab.yaml'],
    ['the parent', '/w/proj', '/w/proj'],
  ])('renamed: %s', (_, path, expected) => expect(followPath(path, renamed)).toBe(expected));

  it.each([
    ['the deleted path', '/w/proj/a', null],
    ['a file under a deleted directory', '/w/proj/a/b/c', null],
    ['a sibling sharing the prefix', '/w/proj/a2', '/w/proj/a2'],
  ])('deleted: %s', (_, path, expected) => expect(followPath(path, deleted)).toBe(expected));
});

describe(FileEvents.name, () => {
  it('tells every listener, in order, until it unsubscribes; a failing one does not stop the rest', () => {
    const events = TestBed.inject(FileEvents);
    const seen: string[] = [];
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const stopFirst = events.on(() => {
      seen.push('first');
      throw new Error('boom');
    });
    events.on((e) => seen.push(e.kind === 'renamed' ? `${e.from}>${e.to}` : `-${e.path}`));

    events.renamed('/a/b/c', '/a/b/d');
    stopFirst();
    events.deleted('/a/b/d');

    expect(seen).toEqual(['first', '/a/b/c>/a/b/d', '-/a/b/d']);
    expect(errors).toHaveBeenCalledTimes(1);
  });
});
