import { DestroyRef, Injectable, inject, signal } from '@angular/core';

/** A once-a-second tick for ages and runtimes, shared by every view. */
@Injectable({ providedIn: 'root' })
export class Clock {
  private readonly state = signal(Date.now());
  readonly now = this.state.asReadonly();

  constructor() {
    const timer = setInterval(() => this.state.set(Date.now()), 1000);
    inject(DestroyRef).onDestroy(() => clearInterval(timer));
  }
}
