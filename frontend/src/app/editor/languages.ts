/** Monaco language ids the editor registers itself (the rest are Monaco's own). */
export const FORGATHER_YAML = 'forgather-yaml';
export const TOML = 'toml';
export const PLAIN_TEXT = 'plaintext';

/**
 * File extension (lower case, no dot) → Monaco language id. YAML and Jinja files get Forgather's
 * YAML + Jinja2 dialect (templates are YAML with Jinja in them); anything unknown opens as plain text.
 */
const BY_EXTENSION: Readonly<Record<string, string>> = {
  yaml: FORGATHER_YAML,
  yml: FORGATHER_YAML,
  jinja: FORGATHER_YAML,
  jinja2: FORGATHER_YAML,
  j2: FORGATHER_YAML,
  json: 'json',
  jsonl: 'json',
  py: 'python',
  pyi: 'python',
  md: 'markdown',
  markdown: 'markdown',
  sh: 'shell',
  bash: 'shell',
  zsh: 'shell',
  toml: TOML,
};

/** Shell start-up files, named without an extension. */
const BY_NAME: Readonly<Record<string, string>> = {
  '.bashrc': 'shell',
  '.bash_profile': 'shell',
  '.profile': 'shell',
  '.zshrc': 'shell',
};

/** The Monaco language for a path, from its file name: `/a/b/train.YAML` → `forgather-yaml`. */
export function languageForPath(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  if (BY_NAME[name]) return BY_NAME[name];
  const dot = name.lastIndexOf('.');
  // A leading dot alone (`.gitignore`) names the file, it is no extension.
  if (dot <= 0) return PLAIN_TEXT;
  return BY_EXTENSION[name.slice(dot + 1)] ?? PLAIN_TEXT;
}

/** What the tab bar shows for a language id. */
export function languageLabel(id: string): string {
  switch (id) {
    case FORGATHER_YAML:
      return 'YAML + Jinja';
    case PLAIN_TEXT:
      return 'Plain text';
    case TOML:
      return 'TOML';
    case 'json':
      return 'JSON';
    default:
      return id.charAt(0).toUpperCase() + id.slice(1);
  }
}
