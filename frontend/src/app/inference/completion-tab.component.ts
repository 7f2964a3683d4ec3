import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { requestBody, toRequestParams } from './gen-params';
import { describeStats, generate, generationFailure } from './inference-client';
import { InferenceStore } from './inference.store';

/** Raw completion: the prompt, then the text as it streams; Stop aborts the request (and upstream). */
@Component({
  selector: 'ty-completion-tab',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section class="panel card" aria-label="Completion">
      <div class="field">
        <label for="inf-prompt">Prompt</label>
        <textarea
          id="inf-prompt"
          class="mono"
          rows="6"
          [value]="prompt()"
          (input)="prompt.set($any($event.target).value)"
          (keydown.control.enter)="send()"
          (keydown.meta.enter)="send()"
        ></textarea>
      </div>
      <div class="actions">
        @if (controller()) {
          <button type="button" class="btn btn-danger" (click)="stop()">Stop</button>
        } @else {
          <button
            type="button"
            class="btn btn-primary"
            [disabled]="!prompt()"
            (click)="send()"
            title="Send (Ctrl+Enter)"
          >
            Send
          </button>
        }
        <button
          type="button"
          class="btn"
          [disabled]="!!controller()"
          (click)="output.set(''); status.set('')"
        >
          Clear
        </button>
        <span class="status-line" role="status">{{ status() }}</span>
      </div>
      @if (error(); as e) {
        <p class="hint bad" role="alert">{{ e }}</p>
      }
      <pre
        class="output mono"
        aria-label="Completion output"
        aria-live="off"
      ><span class="muted">{{ shownPrompt() }}</span>{{ output() }}</pre>
    </section>
  `,
  styleUrl: './inference.css',
  styles: `
    .output {
      margin: 0;
      min-height: 160px;
      max-height: 60vh;
      overflow: auto;
      white-space: pre-wrap;
      overflow-wrap: anywhere;
      padding: 10px;
      border: 1px solid var(--border);
      border-radius: 5px;
      background: var(--term-bg);
    }
  `,
})
export class CompletionTabComponent {
  private readonly store = inject(InferenceStore);
  protected readonly prompt = signal('');
  protected readonly shownPrompt = signal('');
  protected readonly output = signal('');
  protected readonly status = signal('');
  protected readonly error = signal<string | null>(null);
  protected readonly controller = signal<AbortController | null>(null);

  protected async send(): Promise<void> {
    if (this.controller() || !this.prompt()) return;
    const { params, errors } = toRequestParams(this.store.values());
    if (Object.keys(errors).length)
      return this.error.set(`Fix the parameters first: ${Object.values(errors).join('; ')}`);
    const controller = new AbortController();
    this.controller.set(controller);
    this.error.set(null);
    this.shownPrompt.set(this.prompt());
    this.output.set('');
    this.status.set('Generating…');
    try {
      const stats = await generate({
        endpoint: 'completions',
        base: this.store.base(),
        body: requestBody(this.store.model(), params, this.store.stream(), { prompt: this.prompt() }),
        signal: controller.signal,
        onText: (piece) => this.output.update((t) => t + piece),
      });
      this.status.set(describeStats(stats));
      if (stats.cutOff) this.error.set(stats.cutOff);
    } catch (err) {
      this.status.set('');
      this.error.set(generationFailure(err, this.store.model(), this.store.served()));
    } finally {
      this.controller.set(null);
    }
  }

  protected stop(): void {
    this.controller()?.abort();
  }
}
