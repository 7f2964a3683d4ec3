import { FORGATHER_YAML, PLAIN_TEXT, TOML, languageForPath, languageLabel } from './languages';

describe('languageForPath', () => {
  it.each([
    ['/srv/proj/templates/train.yaml', FORGATHER_YAML],
    ['/srv/proj/configs/a.YML', FORGATHER_YAML],
    ['/srv/proj/templates/base.jinja', FORGATHER_YAML],
    ['/srv/proj/templates/base.jinja2', FORGATHER_YAML],
    ['/srv/proj/data.json', 'json'],
    ['/srv/proj/train.py', 'python'],
    ['/srv/proj/README.md', 'markdown'],
    ['/srv/proj/notes.markdown', 'markdown'],
    ['/srv/proj/run.sh', 'shell'],
    ['/home/me/.bashrc', 'shell'],
    ['/srv/proj/pyproject.toml', TOML],
    ['/srv/proj/train.log', PLAIN_TEXT],
    ['/srv/proj/Makefile', PLAIN_TEXT],
    ['/srv/proj/.gitignore', PLAIN_TEXT],
    ['/srv/proj.d/LICENSE', PLAIN_TEXT],
  ])('%s → %s', (path, language) => {
    expect(languageForPath(path)).toBe(language);
  });

  it('names each language for the tab bar', () => {
    expect(languageLabel(FORGATHER_YAML)).toBe('YAML + Jinja');
    expect(languageLabel('python')).toBe('Python');
    expect(languageLabel(PLAIN_TEXT)).toBe('Plain text');
  });
});
