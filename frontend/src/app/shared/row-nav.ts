/**
 * j/k through the rows of a table, for the views whose rows are a list to walk (Jobs, Queue).
 *
 * Each row is a `<tr>` in a `<tbody>` carrying its id in a data attribute (`data-job-id`) and a
 * tabindex (a roving one: 0 on the row in the tab order, -1 on the others, so a row can take focus).
 * The view listens for the keys and says what a move does besides focusing the row (Jobs also
 * selects it, opening its pane); this class finds and focuses the rows.
 */
export class RowNav {
  /** Where the last focus() is going until the frame that focuses it (j pressed twice moves two rows). */
  private pending: string | null = null;

  /**
   * @param host the view's element; rows are looked up inside it
   * @param idAttr the data attribute holding a row's id, as `data-job-id`
   */
  constructor(
    private readonly host: HTMLElement,
    private readonly idAttr: string,
  ) {}

  /** The row about to take focus, else the one with focus (the row itself or something in it), else null. */
  focusedId(): string | null {
    if (this.pending !== null) return this.pending;
    const active = this.host.ownerDocument.activeElement;
    const row =
      active instanceof HTMLElement ? active.closest<HTMLElement>(`tbody tr[${this.idAttr}]`) : null;
    return row && this.host.contains(row) ? row.getAttribute(this.idAttr) : null;
  }

  /** Focuses a row (after the render under way, which may be adding it) and scrolls it into view. */
  focus(id: string): void {
    this.pending = id;
    requestAnimationFrame(() => {
      if (this.pending === id) this.pending = null;
      const row = this.host.querySelector<HTMLElement>(`tr[${this.idAttr}="${CSS.escape(id)}"]`);
      row?.focus({ preventScroll: true });
      row?.scrollIntoView({ block: 'nearest' });
    });
  }
}

/**
 * The id `delta` rows from `from` in `ids` (in displayed order), stopping at the first and last;
 * the first row when `from` is null or no longer listed; null when there are no rows.
 */
export function stepRow(ids: readonly string[], from: string | null, delta: number): string | null {
  if (!ids.length) return null;
  const index = from === null ? -1 : ids.indexOf(from);
  return ids[index < 0 ? 0 : Math.max(0, Math.min(ids.length - 1, index + delta))];
}

/**
 * The move a key asks for: j or ↓ the next row (1), k or ↑ the previous one (-1), anything else 0.
 * The arrows count only while focus is in `body` (elsewhere they scroll the page). The caller has
 * already left out keys typed into a text field, with Ctrl/Meta/Alt, or while a dialog is open.
 */
export function rowStep(event: KeyboardEvent, body: Element | null): -1 | 0 | 1 {
  switch (event.key) {
    case 'j':
      return 1;
    case 'k':
      return -1;
    case 'ArrowDown':
    case 'ArrowUp':
      if (!body?.contains(body.ownerDocument.activeElement)) return 0;
      return event.key === 'ArrowDown' ? 1 : -1;
    default:
      return 0;
  }
}
