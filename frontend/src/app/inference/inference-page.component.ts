import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { ChatTabComponent } from './chat-tab.component';
import { CompletionTabComponent } from './completion-tab.component';
import { InferenceStore } from './inference.store';
import { ModelTabComponent } from './model-tab.component';

type Tab = 'model' | 'completion' | 'chat';
const TABS: ReadonlyArray<{ id: Tab; label: string }> = [
  { id: 'model', label: 'Model' },
  { id: 'completion', label: 'Completion' },
  { id: 'chat', label: 'Chat' },
];

/** Talk to an OpenAI-compatible server (a running inference job, or any other) through the proxy. */
@Component({
  selector: 'ty-inference-page',
  imports: [ModelTabComponent, CompletionTabComponent, ChatTabComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <header class="page-head">
      <h1>Inference</h1>
      <div class="segmented" role="tablist" aria-label="Inference">
        @for (t of tabs; track t.id) {
          <button
            type="button"
            role="tab"
            [id]="'inf-tab-' + t.id"
            [attr.aria-selected]="tab() === t.id"
            [attr.aria-pressed]="tab() === t.id"
            [attr.aria-controls]="'inf-panel-' + t.id"
            (click)="tab.set(t.id)"
          >
            {{ t.label }}
          </button>
        }
      </div>
      <span class="muted target mono" title="Base URL · model">
        {{ store.base() || 'no base URL' }}{{ store.model() ? ' · ' + store.model() : '' }}
      </span>
    </header>
    <div class="page-body">
      <!-- Hidden, not removed: a generation keeps streaming while another tab is shown. -->
      <div role="tabpanel" id="inf-panel-model" aria-labelledby="inf-tab-model" [hidden]="tab() !== 'model'">
        <ty-model-tab />
      </div>
      <div
        role="tabpanel"
        id="inf-panel-completion"
        aria-labelledby="inf-tab-completion"
        [hidden]="tab() !== 'completion'"
      >
        <ty-completion-tab />
      </div>
      <div role="tabpanel" id="inf-panel-chat" aria-labelledby="inf-tab-chat" [hidden]="tab() !== 'chat'">
        <ty-chat-tab />
      </div>
    </div>
  `,
  styles: `
    .target {
      font-size: 12px;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
      min-width: 0;
      flex: 1 1 200px;
    }
  `,
})
export class InferencePageComponent {
  protected readonly store = inject(InferenceStore);
  protected readonly tabs = TABS;
  protected readonly tab = signal<Tab>('model');
}
