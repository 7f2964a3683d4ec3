import { Injectable, signal } from '@angular/core';

/** The sidebar's refresh button (and `r`): views reload when `tick` changes. */
@Injectable({ providedIn: 'root' })
export class RefreshBus {
  private readonly state = signal(0);
  readonly tick = this.state.asReadonly();

  refresh(): void {
    this.state.update((n) => n + 1);
  }
}
