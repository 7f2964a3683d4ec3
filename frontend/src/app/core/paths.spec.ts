import { distinguishingDirs } from './paths';

describe('distinguishingDirs', () => {
  it('labels same-named files by the shortest end of their directory that tells them apart', () => {
    const hints = distinguishingDirs([
      '/srv/a/x/hello.py',
      '/srv/b/x/hello.py',
      '/srv/c/hello.py',
      '/srv/a/train.yaml',
    ]);
    expect(Object.fromEntries(hints)).toEqual({
      '/srv/a/x/hello.py': 'a/x',
      '/srv/b/x/hello.py': 'b/x',
      '/srv/c/hello.py': 'c',
    });
  });

  it('falls back to the whole directory when one is the end of the other', () => {
    expect(Object.fromEntries(distinguishingDirs(['/x/h.py', '/a/x/h.py', '/h.py']))).toEqual({
      '/x/h.py': '/x',
      '/a/x/h.py': 'a/x',
      '/h.py': '/',
    });
  });
});
