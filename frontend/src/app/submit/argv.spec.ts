import { isOnePerLine, joinArgs, listText, shellOperators, splitArgs, splitList } from './argv';

describe('splitArgs', () => {
  it.each([
    ['python train.py --lr 3e-4', ['python', 'train.py', '--lr', '3e-4']],
    ['  a \t b  ', ['a', 'b']],
    [`echo "hello world" 'it''s'`, ['echo', 'hello world', 'its']],
    [`echo 'a "b" c'`, ['echo', 'a "b" c']],
    [`echo "a 'b' c"`, ['echo', "a 'b' c"]],
    [`echo "say \\"hi\\" \\\\ \\n"`, ['echo', 'say "hi" \\ \\n']],
    ['echo a\\ b c\\"d', ['echo', 'a b', 'c"d']],
    [`echo '' ""`, ['echo', '', '']],
    ['pre"mid dle"post', ['premid dlepost']],
    // No expansion: the job runs without a shell.
    ['echo $HOME ~ *.py $(date) `id`', ['echo', '$HOME', '~', '*.py', '$(date)', '`id`']],
    ['', []],
  ])('%j → %j', (line, args) => {
    expect(splitArgs(line)).toEqual({ args });
  });

  it.each([
    [`echo 'open`, /single quote/],
    [`echo "open`, /double quote/],
    [`echo "a\\"`, /double quote/],
    ['echo a\\', /trailing/],
  ])('refuses %j', (line, message) => {
    const result = splitArgs(line);
    expect('error' in result && result.error).toMatch(message);
  });
});

describe('splitList', () => {
  it('splits one line (blank lines around it ignored) and keeps several lines one item each', () => {
    expect(splitList('\n  ls -l "my dir"  \n\n')).toEqual({ args: ['ls', '-l', 'my dir'] });
    expect(splitList('python\r\n-c\nprint("a b")\n')).toEqual({ args: ['python', '-c', 'print("a b")'] });
    expect(isOnePerLine('a b\n')).toBe(false);
    expect(isOnePerLine('a\nb')).toBe(true);
  });
});

describe('joinArgs / listText', () => {
  it.each([
    [['python', 'train.py', '--lr=3e-4', '/a/b.c']],
    [['echo', 'my run', "it's", '', '$HOME', 'a"b', 'tab\there', '\\']],
  ])('reads back what it wrote: %j', (args) => {
    expect(splitArgs(joinArgs(args))).toEqual({ args });
    expect(splitList(listText(args))).toEqual({ args });
  });

  it('quotes only what needs it', () => {
    expect(joinArgs(['python', 'a b', "it's"])).toBe(`python 'a b' 'it'\\''s'`);
  });
});

describe('shellOperators', () => {
  it('names the operators that would reach the program as plain arguments', () => {
    expect(shellOperators(['cat', 'a', '|', 'grep', 'x', '>', 'out', '|'])).toEqual(['|', '>']);
    expect(shellOperators(['python', '--pipe=|'])).toEqual([]);
  });
});
