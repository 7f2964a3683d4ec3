/** Text from the server made safe to show: shared by the CLI (terminal output) and the console (the DOM). */

/**
 * C0/C1 controls (ESC, BEL, CR, ...), DEL, and the bidi controls that reorder what follows them
 * (U+061C, U+200E/F, U+202A–E, U+2066–9) plus the line/paragraph separators: text from the server
 * (job names, errors, argv) must never drive the terminal or disguise itself.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_CHAR = new RegExp(UNSAFE_CHARS.source);
const NAMED_ESCAPES: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * `text` with every unsafe character (see UNSAFE_CHARS) written as a visible escape: `\x1b`, `\u202e`,
 * `\n`. With `multiline` (a message printed on lines of its own, such as a server's error quoting a
 * config file), line breaks and tabs stay as they are; everything else is still escaped.
 */
export function escapeControls(text: string, { multiline = false } = {}): string {
  return text.replace(UNSAFE_CHARS, (char) => {
    if (multiline && (char === '\n' || char === '\t')) return char;
    const named = NAMED_ESCAPES[char];
    if (named) return named;
    const code = char.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** The first unsafe character in `text` (see UNSAFE_CHARS) as `U+202E`, or undefined when there is none. */
export function firstUnsafeChar(text: string): string | undefined {
  const char = UNSAFE_CHAR.exec(text)?.[0];
  return char === undefined
    ? undefined
    : `U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}
