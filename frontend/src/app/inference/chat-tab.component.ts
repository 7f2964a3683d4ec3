import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  Pipe,
  type PipeTransform,
  inject,
  signal,
  viewChild,
} from '@angular/core';
import { DomSanitizer, type SafeHtml } from '@angular/platform-browser';
import { errorMessage } from '../core/api';
import { type Message, requestBody, toRequestParams } from './gen-params';
import { describeStats, generate } from './inference-client';
import { InferenceStore } from './inference.store';
import { renderMarkdown } from '../shared/markdown';

/** Model text as sanitised Markdown (DOMPurify in renderMarkdown, so Angular need not strip it again). */
@Pipe({ name: 'tyMarkdown' })
export class MarkdownPipe implements PipeTransform {
  private readonly sanitizer = inject(DomSanitizer);
  transform(text: string): SafeHtml {
    return this.sanitizer.bypassSecurityTrustHtml(renderMarkdown(text));
  }
}

/**
 * Multi-turn chat against `/chat/completions` (the full history is sent each turn). Assistant turns
 * render as sanitised Markdown; user turns as typed. The history is kept per base URL and model.
 */
@Component({
  selector: 'ty-chat-tab',
  imports: [MarkdownPipe],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './chat-tab.component.html',
  styleUrls: ['./inference.css', './chat-tab.component.css'],
})
export class ChatTabComponent {
  protected readonly store = inject(InferenceStore);
  protected readonly draft = signal('');
  protected readonly status = signal('');
  protected readonly error = signal<string | null>(null);
  protected readonly controller = signal<AbortController | null>(null);
  /** Index of the turn being edited, and its text. */
  protected readonly editing = signal<{ index: number; text: string } | null>(null);
  private readonly transcript = viewChild<ElementRef<HTMLElement>>('transcript');

  protected setSystem(system: string): void {
    this.store.updateChat((c) => ({ ...c, system }));
  }

  protected send(): void {
    const text = this.draft();
    if (this.controller() || !text.trim()) return;
    this.draft.set('');
    this.store.updateChat((c) => ({ ...c, messages: [...c.messages, { role: 'user', content: text }] }));
    void this.run();
  }

  /** Drops the last answer and asks again. */
  protected regenerate(): void {
    const messages = this.store.chat().messages;
    if (this.controller() || !messages.length) return;
    const keep = messages.at(-1)!.role === 'assistant' ? messages.slice(0, -1) : messages;
    this.store.updateChat((c) => ({ ...c, messages: keep }));
    void this.run();
  }

  protected remove(index: number): void {
    this.store.updateChat((c) => ({ ...c, messages: c.messages.filter((_, i) => i !== index) }));
  }

  protected startEdit(index: number): void {
    this.editing.set({ index, text: this.store.chat().messages[index].content });
  }

  /** Saves the edited turn; a user turn also drops everything after it and asks again. */
  protected saveEdit(rerun: boolean): void {
    const edit = this.editing();
    if (!edit) return;
    this.editing.set(null);
    this.store.updateChat((c) => {
      const messages = c.messages.map((m, i) => (i === edit.index ? { ...m, content: edit.text } : m));
      return { ...c, messages: rerun ? messages.slice(0, edit.index + 1) : messages };
    });
    if (rerun) void this.run();
  }

  protected clear(): void {
    this.store.updateChat((c) => ({ ...c, messages: [] }));
    this.status.set('');
  }

  protected stop(): void {
    this.controller()?.abort();
  }

  private async run(): Promise<void> {
    const { params, errors } = toRequestParams(this.store.values());
    if (Object.keys(errors).length) {
      this.error.set(`Fix the parameters first: ${Object.values(errors).join('; ')}`);
      return;
    }
    const { system, messages } = this.store.chat();
    const wire: Message[] = [
      ...(system.trim() ? [{ role: 'system' as const, content: system }] : []),
      ...messages,
    ];
    const controller = new AbortController();
    this.controller.set(controller);
    this.error.set(null);
    this.status.set('Generating…');
    const at = messages.length;
    // The answer grows in place; it is saved once, at the end (not on every token).
    const grow = (piece: string) => {
      const chat = this.store.chat();
      const current = chat.messages[at]?.content ?? '';
      const next = [...chat.messages.slice(0, at), { role: 'assistant' as const, content: current + piece }];
      this.store.chat.set({ ...chat, messages: next });
      this.scrollToEnd();
    };
    try {
      const stats = await generate({
        endpoint: 'chat/completions',
        base: this.store.base(),
        body: requestBody(this.store.model(), params, this.store.stream(), { messages: wire }),
        signal: controller.signal,
        onText: grow,
      });
      this.status.set(describeStats(stats));
      if (stats.cutOff) this.error.set(stats.cutOff);
    } catch (err) {
      this.status.set('');
      this.error.set(errorMessage(err));
    } finally {
      this.controller.set(null);
      this.store.updateChat((c) => c);
    }
  }

  private scrollToEnd(): void {
    const el = this.transcript()?.nativeElement;
    if (el && el.scrollHeight - el.scrollTop - el.clientHeight < 80) el.scrollTop = el.scrollHeight;
  }
}
