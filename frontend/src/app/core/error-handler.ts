import { ErrorHandler } from '@angular/core';

/**
 * Monaco rejects its pending work (hovers, suggestions, word highlights) with an Error named and
 * worded "Canceled" when an editor is disposed, i.e. when the Edit view is left: expected, not a fault.
 */
export function isMonacoCancellation(error: unknown): boolean {
  return error instanceof Error && error.name === 'Canceled' && error.message === 'Canceled';
}

/** Angular's handler (logs "ERROR …"), quiet about Monaco's cancellation only. */
export class ConsoleErrorHandler extends ErrorHandler {
  override handleError(error: unknown): void {
    if (isMonacoCancellation(error)) return;
    super.handleError(error);
  }
}
