import { NewestAnswer } from './newest-answer';

describe(NewestAnswer.name, () => {
  it('drops an answer older than the one shown, and shows one that comes back in order', () => {
    const answers = new NewestAnswer();
    const first = answers.begin();
    const second = answers.begin();
    const third = answers.begin();
    expect(answers.accept(second)).toBe(true);
    expect(answers.accept(first)).toBe(false);
    expect(answers.accept(third)).toBe(true);
  });

  it('shows an older answer that comes first: it is newer than what is on screen', () => {
    const answers = new NewestAnswer();
    const first = answers.begin();
    const second = answers.begin();
    expect(answers.accept(first)).toBe(true);
    expect(answers.accept(second)).toBe(true);
  });
});
