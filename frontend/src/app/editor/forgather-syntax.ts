import type { languages } from 'monaco-editor';

/*
 * Monarch tokenizers as plain data (no Monaco import at run time: the editor chunk registers them
 * once Monaco has loaded). Monarch keeps a regex's source but drops its flags, so no `/i` here.
 * Token names are the standard ones (`keyword`, `variable`, `string`, …), so Monaco's light and
 * dark themes colour them without a theme of our own.
 */

/**
 * Forgather's line statements: at the start of a line (after indentation), `--` is a Jinja statement,
 * `<<` one that trims whitespace on its left, `>>` on its right. A YAML `---` or `- item` is not one.
 */
export const LINE_STATEMENT = /^[ \t]*(?:--|<<|>>)(?=[ \t]|$)/;
/** Forgather's print lines: `==` prints an expression, `=>` prints it and trims on the right. */
export const LINE_PRINT = /^[ \t]*(?:==|=>)(?=[ \t]|$)/;
/** `## …` is a Jinja line comment anywhere on a line. */
export const LINE_COMMENT = /##.*$/;
/** `#---- name ----` splits a file into named templates. */
export const TEMPLATE_MARKER = /^#[ \t]*-{3,}[ \t]*[\w./-]+[ \t]*-{3,}[ \t]*$/;
/** Inline Jinja: `{{ expression }}`, `{% statement %}`, `{# comment #}` (with `-`/`+` trim markers). */
export const EXPRESSION_OPEN = /\{\{[-+]?/;
export const EXPRESSION_CLOSE = /[-+]?\}\}/;
export const STATEMENT_OPEN = /\{%[-+]?/;
export const STATEMENT_CLOSE = /[-+]?%\}/;
/** A YAML mapping key: plain or quoted, followed by `:` and a blank or the line's end. */
export const YAML_KEY =
  /(?:"(?:[^"\\]|\\.)*"|'[^']*'|[^\s#'"{}[\],:!&*|>-][^#{}\n]*?|-[^\s#{}]+?)(?=[ \t]*:(?:[ \t]|$))/;
/** YAML tags: Forgather's `!call`, `!partial`, `!singleton`, `!factory`, … and the standard `!!str`. */
export const YAML_TAG = /!!?[\w./:-]*/;

type Action = languages.IMonarchLanguageAction;
type Rule = languages.IMonarchLanguageRule;

/** The same token, and the line statement ends with the line. */
const untilEol = (token: string): Action => ({
  cases: { '@eos': { token, next: '@pop' }, '@default': token },
});
const plain = (token: string): Action => token;

/** Jinja's expression language, inside `{{ }}`, `{% %}` and after a line statement marker. */
function jinjaCode(action: (token: string) => Action): Rule[] {
  return [
    [/[ \t]+/, action('white')],
    [/"(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?/, action('string')],
    [/\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/, action('number')],
    [
      /[A-Za-z_]\w*/,
      {
        cases: {
          '@jinjaKeywords': action('keyword'),
          '@jinjaConstants': action('keyword'),
          '@default': action('variable'),
        },
      },
    ],
    [/[|.,:;()[\]{}~+\-*/%<>=!]/, action('delimiter')],
    [/[^\s]/, action('')],
  ];
}

/** Forgather's YAML + Jinja2 dialect (templates and configs). */
export const forgatherYaml: languages.IMonarchLanguage = {
  defaultToken: '',
  tokenPostfix: '.fyaml',
  brackets: [
    { token: 'delimiter.bracket', open: '{', close: '}' },
    { token: 'delimiter.square', open: '[', close: ']' },
  ],
  keywords: ['true', 'True', 'TRUE', 'false', 'False', 'FALSE', 'null', 'Null', 'NULL', '~', 'yes', 'no'],
  jinjaKeywords: [
    'if',
    'elif',
    'else',
    'endif',
    'for',
    'endfor',
    'in',
    'not',
    'and',
    'or',
    'is',
    'block',
    'endblock',
    'extends',
    'include',
    'import',
    'from',
    'as',
    'with',
    'without',
    'context',
    'set',
    'endset',
    'macro',
    'endmacro',
    'call',
    'endcall',
    'filter',
    'endfilter',
    'raw',
    'endraw',
    'recursive',
    'scoped',
    'required',
    'ignore',
    'missing',
    'do',
    'break',
    'continue',
  ],
  jinjaConstants: ['true', 'false', 'none', 'True', 'False', 'None'],
  tokenizer: {
    root: [
      [
        LINE_STATEMENT,
        {
          cases: {
            '@eos': 'keyword.control',
            '@default': { token: 'keyword.control', next: '@lineStatement' },
          },
        },
      ],
      [
        LINE_PRINT,
        {
          cases: {
            '@eos': 'delimiter.jinja',
            '@default': { token: 'delimiter.jinja', next: '@lineStatement' },
          },
        },
      ],
      [TEMPLATE_MARKER, 'metatag'],
      [LINE_COMMENT, 'comment.jinja'],
      [/\{#/, 'comment.jinja', '@jinjaComment'],
      [STATEMENT_OPEN, 'delimiter.jinja', '@jinjaStatement'],
      [EXPRESSION_OPEN, 'delimiter.jinja', '@jinjaExpression'],
      [/[ \t]+/, 'white'],
      [/#.*$/, 'comment'],
      [/^(?:---|\.\.\.)(?=[ \t]|$)/, 'operators'],
      [YAML_KEY, 'type'],
      [/[-?:](?=[ \t]|$)/, 'operators'],
      [/[&*][^\s,[\]{}]+/, 'namespace'],
      [YAML_TAG, 'tag'],
      [/"(?:[^"\\]|\\.)*"?/, 'string'],
      [/'[^']*'?/, 'string'],
      [/[[\]{},]/, 'delimiter'],
      [
        /[+-]?(?:\d[\d_]*(?:\.\d*)?(?:[eE][+-]?\d+)?|\.(?:inf|Inf|INF|nan|NaN|NAN))(?=[ \t]*(?:#|,|\]|\}|$))/,
        'number',
      ],
      [/[^\s#{}[\],]+(?:[ \t]+[^\s#{}[\],]+)*/, { cases: { '@keywords': 'keyword', '@default': 'string' } }],
      [/[^\s]/, 'string'],
    ],
    jinjaComment: [
      [/#\}/, 'comment.jinja', '@pop'],
      [/[^#]+/, 'comment.jinja'],
      [/#/, 'comment.jinja'],
    ],
    jinjaStatement: [[STATEMENT_CLOSE, 'delimiter.jinja', '@pop'], ...jinjaCode(plain)],
    jinjaExpression: [[EXPRESSION_CLOSE, 'delimiter.jinja', '@pop'], ...jinjaCode(plain)],
    // Ends with its line: every token checks for the line's end (Monarch has no end-of-line rule).
    lineStatement: [[LINE_COMMENT, { token: 'comment.jinja', next: '@pop' }], ...jinjaCode(untilEol)],
  },
};

export const forgatherYamlConfiguration: languages.LanguageConfiguration = {
  comments: { lineComment: '#', blockComment: ['{#', '#}'] },
  brackets: [
    ['{', '}'],
    ['[', ']'],
    ['(', ')'],
  ],
  autoClosingPairs: [
    { open: '{', close: '}' },
    { open: '[', close: ']' },
    { open: '(', close: ')' },
    { open: '"', close: '"' },
    { open: "'", close: "'" },
  ],
  folding: { offSide: true },
};

/** TOML: tables, keys, strings (basic, literal, multi-line), numbers, dates, booleans, comments. */
export const toml: languages.IMonarchLanguage = {
  defaultToken: '',
  tokenPostfix: '.toml',
  tokenizer: {
    root: [
      [/[ \t]+/, 'white'],
      [/#.*$/, 'comment'],
      [/^\s*\[\[?[^\]]*\]\]?/, 'metatag'],
      [/(?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_.-]+)(?=\s*=)/, 'type'],
      [/"""/, 'string', '@basicMulti'],
      [/'''/, 'string', '@literalMulti'],
      [/"(?:[^"\\]|\\.)*"?/, 'string'],
      [/'[^']*'?/, 'string'],
      [/\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)?)?/, 'number'],
      [
        /[+-]?(?:0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+|\d[\d_]*(?:\.[\d_]+)?(?:[eE][+-]?\d+)?|inf|nan)/,
        'number',
      ],
      [/\b(?:true|false)\b/, 'keyword'],
      [/[=,[\]{}.]/, 'delimiter'],
    ],
    basicMulti: [
      [/"""/, 'string', '@pop'],
      [/[^"]+|"/, 'string'],
    ],
    literalMulti: [
      [/'''/, 'string', '@pop'],
      [/[^']+|'/, 'string'],
    ],
  },
};
