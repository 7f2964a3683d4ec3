import { safeReturnUrl } from './return-url';

describe('safeReturnUrl (where sign-in goes next)', () => {
  it('keeps an in-app path with its query and fragment', () => {
    expect(safeReturnUrl('/jobs?status=failed')).toBe('/jobs?status=failed');
    expect(safeReturnUrl('/jobs/42')).toBe('/jobs/42');
    expect(safeReturnUrl('/edit?path=%2Fhome%2Fa.py&line=3#x')).toBe('/edit?path=%2Fhome%2Fa.py&line=3#x');
  });

  it('refuses anything that could leave the console', () => {
    for (const raw of [
      null,
      undefined,
      '',
      'jobs',
      'https://evil.example/',
      '//evil.example/x',
      '/\\evil.example',
      '/jobs//x',
      'javascript:alert(1)',
      '/javascript:alert(1)',
      '/jobs\n',
      '/sign-in',
      '/sign-in?next=/jobs',
    ]) {
      expect(safeReturnUrl(raw)).toBe('/');
    }
  });
});
