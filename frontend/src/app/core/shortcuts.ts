/** Every keyboard shortcut, as the `?` overlay lists them (the handlers live where they act). */
export interface Shortcut {
  keys: string[];
  does: string;
}

export const SHORTCUT_GROUPS: { title: string; shortcuts: Shortcut[] }[] = [
  {
    title: 'Anywhere',
    shortcuts: [
      { keys: ['g', 'g'], does: 'Go to GPUs' },
      { keys: ['g', 'q'], does: 'Go to Queue' },
      { keys: ['g', 'j'], does: 'Go to Jobs' },
      { keys: ['g', 'a'], does: 'Go to Activity' },
      { keys: ['n'], does: 'New job' },
      { keys: ['r'], does: 'Refresh' },
      { keys: ['['], does: 'Collapse or expand the sidebar' },
      { keys: ['?'], does: 'Show this help' },
      { keys: ['Esc'], does: 'Close a dialog, menu or the log pane' },
    ],
  },
  {
    title: 'Jobs and Queue',
    shortcuts: [
      { keys: ['j'], does: 'Focus the next row (in Jobs, select it)' },
      { keys: ['k'], does: 'Focus the previous row (in Jobs, select it)' },
    ],
  },
  {
    title: 'Jobs',
    shortcuts: [
      { keys: ['/'], does: 'Search jobs' },
      { keys: ['f'], does: 'Follow the log (jump to the end)' },
      { keys: ['Ctrl', 'f'], does: 'Search the log (when the log has focus)' },
    ],
  },
  {
    title: 'Files tree',
    shortcuts: [
      { keys: ['↑', '↓'], does: 'Move between entries' },
      { keys: ['→', '←'], does: 'Open or close a folder (← goes up)' },
      { keys: ['Enter'], does: 'Open the file or folder' },
      { keys: ['F2'], does: 'Rename' },
      { keys: ['Del'], does: 'Delete permanently (asks first)' },
      { keys: ['Shift', 'F10'], does: 'Context menu' },
    ],
  },
];

/**
 * True when a key press belongs to a text field rather than to the shortcuts.
 *
 * The job log is a terminal whose hidden textarea holds the focus, but it is output only: the
 * console sends no keystrokes to jobs, so a key pressed in it is the app's (`Esc` closes the log
 * pane, `f` follows, `g j`… navigate; Ctrl+F searches the log, Ctrl+C copies the selection). Such
 * an element is marked `data-output-only`. Should the log ever take input for a running job's tty,
 * typing would go to the job and only `Esc` would leave the terminal for the shortcuts. A code
 * editor, whose focus is an EditContext <div>, sits inside an element marked `data-typing`.
 */
export function isTyping(event: KeyboardEvent): boolean {
  const target = event.target as HTMLElement | null;
  if (!target) return false;
  if (target.closest?.('[data-output-only]')) return false;
  // Code editors (Monaco) take keys through an EditContext <div>, neither input nor contenteditable.
  if (target.isContentEditable || target.closest?.('[data-typing]')) return true;
  const tag = target.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT';
}
