import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { RouterLink } from '@angular/router';
import { type ReasonPart, reasonParts, shortId } from '../core/format';

/**
 * A sentence from the server (a health problem or warning, a pending reason) as the console shows
 * it: the jobs it names link to their pane (short id, the whole one in the tooltip; see `linkJobs`),
 * what it quotes in backticks reads as code. Rendered by the template from reasonParts — the server's text never
 * becomes HTML.
 */
@Component({
  selector: 'ty-server-text',
  imports: [RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @for (part of parts(); track $index) {
      @if ('queueId' in part) {
        <a class="job-link mono" [routerLink]="['/jobs', part.queueId]" [title]="part.queueId">{{
          shortId(part.queueId)
        }}</a>
      } @else if ('code' in part) {
        <code>{{ part.code }}</code>
      } @else {
        <!-- In an element: a bare text node would keep a space before "; " and ")". -->
        <span>{{ part.text }}</span>
      }
    }
  `,
  styles: `
    code {
      padding: 0 3px;
      border-radius: 3px;
      background: color-mix(in srgb, currentColor 10%, transparent);
      overflow-wrap: anywhere;
    }
  `,
})
export class ServerTextComponent {
  readonly text = input.required<string>();
  /** Whether the jobs it names link to their pane (else their whole id reads as text). */
  readonly linkJobs = input(true);
  protected readonly parts = computed(() => {
    const parts = reasonParts(this.text());
    if (this.linkJobs()) return parts;
    // Ids as text, joined to the text around them: one run of text between code spans.
    const merged: ReasonPart[] = [];
    for (const part of parts) {
      const text = 'code' in part ? null : 'text' in part ? part.text : part.queueId;
      const prev = merged.at(-1);
      if (text === null) merged.push(part);
      else if (prev && 'text' in prev) merged[merged.length - 1] = { text: prev.text + text };
      else merged.push({ text });
    }
    return merged;
  });
  protected readonly shortId = shortId;
}
