import { Injectable, computed, effect, linkedSignal, signal } from '@angular/core';
import { readStored, writeStored } from '../core/storage';
import type { Message } from './gen-params';

const SETTINGS_KEY = 'trainyard.inference.v1';
const CHAT_PREFIX = 'trainyard.inference.chat.v1:';

interface Settings {
  base: string;
  model: string;
  values: Record<string, string>;
  stream: boolean;
}

/** A chat turn; an answer that did not finish says why (Stop, or the error that cut it off). */
export type ChatMessage = Message & { cutOff?: string };

export interface ChatState {
  system: string;
  messages: ChatMessage[];
  /** The last request's status line and error: they belong to this conversation (and are not saved). */
  status: string;
  error: string | null;
}

const DEFAULTS: Settings = {
  base: 'http://127.0.0.1:8000/v1',
  model: '',
  values: { max_tokens: '512' },
  stream: true,
};

/** The chat's storage key: one history per base URL and model, in this browser. */
export function chatKey(base: string, model: string): string {
  return `${CHAT_PREFIX}${base}|${model}`;
}

/**
 * What the Inference view's tabs share — base URL, model, generation parameters, streaming — and the
 * chat of the current base URL/model; all of it kept in this browser's localStorage.
 */
@Injectable({ providedIn: 'root' })
export class InferenceStore {
  private readonly stored = readStored<Partial<Settings>>(SETTINGS_KEY, {});
  readonly base = signal(typeof this.stored.base === 'string' ? this.stored.base : DEFAULTS.base);
  readonly model = signal(typeof this.stored.model === 'string' ? this.stored.model : DEFAULTS.model);
  readonly values = signal<Record<string, string>>({ ...DEFAULTS.values, ...(this.stored.values ?? {}) });
  readonly stream = signal(this.stored.stream ?? DEFAULTS.stream);
  /** The model ids the server at `base` listed; empty until listed. */
  readonly served = signal<string[]>([]);

  /**
   * Each conversation's last status line and error, for this page's life (not saved): one that
   * ended while another was shown says so when shown again.
   */
  private readonly outcomes = new Map<string, Pick<ChatState, 'status' | 'error'>>();
  /**
   * Conversations changed without saving (an answer as it streams in), until their next save: one
   * generating while another is shown is kept here rather than read from and written to
   * localStorage for every piece of its answer.
   */
  private readonly unsaved = new Map<string, ChatState>();
  private readonly key = computed(() => chatKey(this.base().trim(), this.model()));
  /**
   * The shown conversation: that of the base URL and model, loaded when either changes — at the
   * next read, not a render later (a question sent in between went into the previous one).
   */
  readonly chat = linkedSignal<ChatState>(() => this.loadChat(this.key()));

  constructor() {
    effect(() => {
      const settings: Settings = {
        base: this.base(),
        model: this.model(),
        values: this.values(),
        stream: this.stream(),
      };
      writeStored(SETTINGS_KEY, settings);
    });
  }

  setValue(key: string, value: string): void {
    this.values.update((v) => ({ ...v, [key]: value }));
  }

  /** The key of the conversation in `chat`. */
  get chatKey(): string {
    return this.key();
  }

  /**
   * Changes a conversation — the shown one unless `key` names another (a generation goes on writing
   * into the one it started in) — and saves it in localStorage, unless `save` is false (then it is
   * kept for this page until its next save).
   */
  updateChat(fn: (chat: ChatState) => ChatState, { key = this.chatKey, save = true } = {}): void {
    const shown = key === this.chatKey;
    const next = fn(shown ? this.chat() : this.loadChat(key));
    if (shown) this.chat.set(next);
    this.outcomes.set(key, { status: next.status, error: next.error });
    if (save) {
      this.unsaved.delete(key);
      writeStored(key, { system: next.system, messages: next.messages });
    } else this.unsaved.set(key, next);
  }

  private loadChat(key: string): ChatState {
    const unsaved = this.unsaved.get(key);
    if (unsaved) return unsaved;
    const saved = readStored<Partial<ChatState>>(key, {});
    return {
      system: typeof saved.system === 'string' ? saved.system : '',
      messages: Array.isArray(saved.messages) ? saved.messages : [],
      ...(this.outcomes.get(key) ?? { status: '', error: null }),
    };
  }
}
