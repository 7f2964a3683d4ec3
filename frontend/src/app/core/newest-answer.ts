/**
 * Keeps a view on its newest answer when its loads overlap. The console reloads on every event (a
 * job's queued → starting → running come in a burst) and answers can come back out of order: one
 * older than the answer shown would put the view back in time (a running job shown queued again, a
 * stale error over fresh data).
 *
 * `begin()` as a load starts; `accept(ticket)` once its answer — or its error — is in: false when a
 * load that began later has been shown already, and this one is to be dropped. An older answer that
 * comes first is still shown (it is newer than what is on screen).
 */
export class NewestAnswer {
  private begun = 0;
  private shown = 0;

  /** A ticket for a load that starts now. */
  begin(): number {
    return ++this.begun;
  }

  /** Whether the answer of load `ticket` may be shown; if so, it is now the one shown. */
  accept(ticket: number): boolean {
    if (ticket < this.shown) return false;
    this.shown = ticket;
    return true;
  }
}
