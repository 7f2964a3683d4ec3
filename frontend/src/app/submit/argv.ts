/**
 * How the form turns a list field's text into a list (a command's argv, extra arguments):
 * - one line is split like a POSIX shell splits words: blanks separate, '…' keeps everything
 *   literally, "…" keeps everything but lets \ escape " \ $ and `, and \ outside quotes escapes
 *   the next character. Nothing is expanded: $VAR, *, ~ and $(…) stay as typed, since the job runs
 *   without a shell;
 * - several lines are one item per line, verbatim (the form's older rule, kept for pasted lists).
 */
export type SplitResult = { args: string[] } | { error: string };

export function splitList(text: string): SplitResult {
  const rows = text
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.trim() !== '');
  if (rows.length <= 1) return splitArgs(rows[0] ?? '');
  return { args: rows };
}

/** True when `splitList` will read the text as one item per line. */
export function isOnePerLine(text: string): boolean {
  return text.split('\n').filter((line) => line.trim() !== '').length > 1;
}

/** Splits one line into words like a POSIX shell, without any expansion. */
export function splitArgs(line: string): SplitResult {
  const args: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === ' ' || c === '\t') {
      if (inWord) args.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return { error: "Unclosed single quote (')." };
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= line.length) return { error: 'Unclosed double quote (").' };
        const d = line[i];
        if (d === '"') break;
        if (d === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1])) {
          word += line[i + 1];
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      inWord = true;
      i++;
    } else if (c === '\\') {
      if (i + 1 >= line.length) return { error: 'A trailing \\ escapes nothing.' };
      word += line[i + 1];
      inWord = true;
      i += 2;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) args.push(word);
  return { args };
}

const SAFE = /^[\w@%+=:,./-]+$/;

/** The one line `splitArgs` reads back as `args` (single-quoted where needed). */
export function joinArgs(args: readonly string[]): string {
  return args.map((a) => (SAFE.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** The text a list field shows for `args`: one line when that reads back the same, else one per line. */
export function listText(args: readonly string[]): string {
  return args.some((a) => a.includes('\n') || a.includes('\r')) ? args.join('\n') : joinArgs(args);
}

/** Shell operators that mean nothing without a shell: the job gets them as plain arguments. */
export function shellOperators(args: readonly string[]): string[] {
  return [...new Set(args.filter((a) => /^(\||\|\||&&|;|>|>>|<|&|2>|2>&1)$/.test(a)))];
}
