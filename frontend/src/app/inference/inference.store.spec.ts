import { TestBed } from '@angular/core/testing';
import { chatKey, InferenceStore } from './inference.store';

describe(InferenceStore.name, () => {
  beforeEach(() => localStorage.clear());
  afterEach(() => vi.restoreAllMocks());

  it('keeps an answer streaming into a hidden conversation in memory and saves it once, at its end', () => {
    const store = TestBed.inject(InferenceStore);
    store.base.set('http://127.0.0.1:8000/v1');
    store.model.set('asked');
    const asked = store.chatKey;
    store.updateChat((c) => ({ ...c, messages: [{ role: 'user', content: 'hi' }] }));
    store.model.set('other'); // the user looks at another model's chat while the answer streams
    expect(store.chatKey).toBe(chatKey('http://127.0.0.1:8000/v1', 'other'));

    const writes = vi.spyOn(Storage.prototype, 'setItem');
    let answer = '';
    for (const piece of ['Hel', 'lo', ' there']) {
      answer += piece;
      store.updateChat((c) => ({ ...c, messages: [c.messages[0], { role: 'assistant', content: answer }] }), {
        key: asked,
        save: false,
      });
    }
    expect(writes.mock.calls.filter(([key]) => key === asked)).toEqual([]);

    store.model.set('asked'); // back while it streams: the answer so far shows
    expect(store.chat().messages.map((m) => m.content)).toEqual(['hi', 'Hello there']);

    store.updateChat((c) => ({ ...c, status: 'done' }), { key: asked }); // the end
    expect(writes.mock.calls.filter(([key]) => key === asked)).toHaveLength(1);
    expect(JSON.parse(localStorage.getItem(asked)!).messages[1].content).toBe('Hello there');
  });
});
