import type { languages } from 'monaco-editor';
import {
  LINE_PRINT,
  LINE_STATEMENT,
  TEMPLATE_MARKER,
  YAML_KEY,
  forgatherYaml,
  toml,
} from './forgather-syntax';

type Lexer = languages.IMonarchLanguage & Record<string, unknown>;
type Action = languages.IMonarchLanguageAction;

/**
 * A small Monarch interpreter for what these definitions use (string, group and `cases` actions with
 * `@eos`, `@default` and `@array` guards; `next` with `@pop`; `include`; `^` rules only at a line's
 * start). Monaco's own lexer runs on the same definitions in the browser test.
 */
function tokenize(lexer: Lexer, text: string): string[][] {
  const stack = ['root'];
  type Rule = [RegExp, Action, string?];
  const rulesOf = (state: string): Rule[] =>
    (lexer.tokenizer[state] ?? []).flatMap((rule) =>
      'include' in rule ? rulesOf((rule as { include: string }).include.replace(/^@/, '')) : [rule as Rule],
    );
  const resolve = (action: Action, matched: string, eos: boolean): Action => {
    while (typeof action === 'object' && action !== null && 'cases' in action && action.cases) {
      const cases = action.cases as Record<string, Action>;
      const key =
        Object.keys(cases).find(
          (k) =>
            (k === '@eos' && eos) ||
            (k.startsWith('@') &&
              Array.isArray(lexer[k.slice(1)]) &&
              (lexer[k.slice(1)] as string[]).includes(matched)),
        ) ?? '@default';
      action = cases[key];
    }
    return action;
  };
  return text.split('\n').map((line) => {
    const out: string[] = [];
    let pos = 0;
    while (pos < line.length) {
      const rest = line.slice(pos);
      const state = stack[stack.length - 1];
      // Like Monarch: each rule matches at the current position, flags dropped.
      const anchored = (re: RegExp) => new RegExp(`^(?:${re.source})`);
      const rule = rulesOf(state).find(
        ([re]) => (pos === 0 || !re.source.startsWith('^')) && anchored(re).test(rest),
      );
      if (!rule) throw new Error(`no rule in ${state} at ${JSON.stringify(rest)}`);
      const match = anchored(rule[0]).exec(rest)!;
      pos += match[0].length;
      const action = resolve(rule[1], match[0], pos === line.length);
      if (Array.isArray(action)) {
        action.forEach((a, i) => match[i + 1] && out.push(`${match[i + 1]}=${String(a)}`));
        continue;
      }
      const token = typeof action === 'string' ? action : (action as { token: string }).token;
      const next = rule[2] ?? (typeof action === 'object' ? (action as { next?: string }).next : undefined);
      if (next === '@pop') stack.pop();
      else if (next) stack.push(next.replace(/^@/, ''));
      if (token !== 'white') out.push(`${match[0].trim()}=${token}`);
    }
    return out;
  });
}

describe('Forgather YAML + Jinja2 tokenizer', () => {
  it('line statements: --, << and >> after indentation, not YAML dashes', () => {
    for (const line of ['-- if do_loop:', '    -- endfor', '<< endif', '>> set x = 1', '--']) {
      expect(LINE_STATEMENT.test(line)).toBe(true);
    }
    for (const line of ['---', '- item', '-1', 'key: -- value', '--x', '<<: *base']) {
      expect(LINE_STATEMENT.test(line)).toBe(false);
    }
    expect(LINE_PRINT.test("    == '- ' + i|string")).toBe(true);
    expect(LINE_PRINT.test('=> x')).toBe(true);
    expect(LINE_PRINT.test('==x')).toBe(false);
  });

  it('markers, keys', () => {
    expect(TEMPLATE_MARKER.test('#---- trainer_config ----')).toBe(true);
    expect(TEMPLATE_MARKER.test('# a comment')).toBe(false);
    expect(YAML_KEY.exec('learning_rate: 1e-4')?.[0]).toBe('learning_rate');
    expect(YAML_KEY.exec('"quoted key": x')?.[0]).toBe('"quoted key"');
    expect(YAML_KEY.exec('url: http://x')?.[0]).toBe('url');
  });

  it('a line statement is Jinja to its end, then YAML again', () => {
    const lines = tokenize(forgatherYaml as Lexer, '-- if do_loop: ## loop\nkey: value\n<< endif');
    expect(lines[0]).toEqual([
      '--=keyword.control',
      'if=keyword',
      'do_loop=variable',
      ':=delimiter',
      '## loop=comment.jinja',
    ]);
    expect(lines[1]).toEqual(['key=type', ':=operators', 'value=string']);
    expect(lines[2]).toEqual(['<<=keyword.control', 'endif=keyword']);
  });

  it('inline {{ }} and {% %} inside YAML values, spanning lines, and {# #}', () => {
    const lines = tokenize(
      forgatherYaml as Lexer,
      'lr: {{ base_lr * 2 }}\n{% for x in\n  items %}\n{# note #}\nmodel: !call:torch.nn.Linear [ 1, 2 ]',
    );
    expect(lines[0]).toEqual([
      'lr=type',
      ':=operators',
      '{{=delimiter.jinja',
      'base_lr=variable',
      '*=delimiter',
      '2=number',
      '}}=delimiter.jinja',
    ]);
    expect(lines[1]).toEqual(['{%=delimiter.jinja', 'for=keyword', 'x=variable', 'in=keyword']);
    expect(lines[2]).toEqual(['items=variable', '%}=delimiter.jinja']);
    expect(lines[3]).toEqual(['{#=comment.jinja', 'note=comment.jinja', '#}=comment.jinja']);
    expect(lines[4]).toEqual([
      'model=type',
      ':=operators',
      '!call:torch.nn.Linear=tag',
      '[=delimiter',
      '1=number',
      ',=delimiter',
      '2=number',
      ']=delimiter',
    ]);
  });

  it('YAML: document marker, list items, anchors, comments, keywords', () => {
    const lines = tokenize(forgatherYaml as Lexer, '---\n- &base x # c\n- *base\nflag: true\n## note');
    expect(lines[0]).toEqual(['---=operators']);
    expect(lines[1]).toEqual(['-=operators', '&base=namespace', 'x=string', '# c=comment']);
    expect(lines[2]).toEqual(['-=operators', '*base=namespace']);
    expect(lines[3]).toEqual(['flag=type', ':=operators', 'true=keyword']);
    expect(lines[4]).toEqual(['## note=comment.jinja']);
  });

  it('TOML: tables, keys, strings, numbers', () => {
    const lines = tokenize(toml as Lexer, '[tool.x]\nname = "a" # c\nn = 3');
    expect(lines[0]).toEqual(['[tool.x]=metatag']);
    expect(lines[1]).toEqual(['name=type', '==delimiter', '"a"=string', '# c=comment']);
    expect(lines[2]).toEqual(['n=type', '==delimiter', '3=number']);
  });
});
