import { isTyping } from './shortcuts';

function keyOn(target: HTMLElement): KeyboardEvent {
  const event = new KeyboardEvent('keydown', { key: 'n' });
  Object.defineProperty(event, 'target', { value: target });
  return event;
}

describe('isTyping', () => {
  it('counts inputs, and anything inside a [data-typing] editor (Monaco types through a <div>)', () => {
    const host = document.createElement('div');
    host.setAttribute('data-typing', '');
    const editContext = document.createElement('div');
    host.appendChild(editContext);
    expect(isTyping(keyOn(editContext))).toBe(true);
    expect(isTyping(keyOn(document.createElement('input')))).toBe(true);
    expect(isTyping(keyOn(document.createElement('div')))).toBe(false);
  });
});
