import { TestBed } from '@angular/core/testing';
import { ThemeStore } from './theme.store';

describe(ThemeStore.name, () => {
  // jsdom has no matchMedia: a system that prefers dark.
  beforeEach(() => {
    localStorage.clear();
    vi.stubGlobal('matchMedia', () => ({ matches: false, addEventListener: () => undefined }));
  });
  afterEach(() => {
    localStorage.clear();
    vi.unstubAllGlobals();
  });

  const systemTheme = () => 'dark';

  it('cycles light → dark → system and back, so the system theme can be chosen again', () => {
    const sut = TestBed.inject(ThemeStore);
    expect(sut.mode()).toBe('system');
    expect(sut.theme()).toBe(systemTheme());
    sut.cycle();
    expect([sut.mode(), sut.theme()]).toEqual(['light', 'light']);
    expect(localStorage.getItem('trainyard.theme')).toBe('light');
    sut.cycle();
    expect([sut.mode(), sut.theme()]).toEqual(['dark', 'dark']);
    sut.cycle();
    expect(sut.mode()).toBe('system');
    expect(sut.theme()).toBe(systemTheme());
    // "system" is no stored choice: a reload follows the system again.
    expect(localStorage.getItem('trainyard.theme')).toBeNull();
  });

  it('starts from the stored choice', () => {
    localStorage.setItem('trainyard.theme', 'dark');
    const sut = TestBed.inject(ThemeStore);
    expect(sut.mode()).toBe('dark');
    expect(sut.nextMode()).toBe('system');
  });
});
