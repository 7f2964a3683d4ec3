import { BUNDLED_PRESETS, presetProblems } from './generation-presets';

describe('presetProblems', () => {
  it('takes every bundled preset and null for a known parameter (the server default)', () => {
    for (const preset of Object.values(BUNDLED_PRESETS)) expect(presetProblems({ ...preset })).toEqual([]);
    expect(presetProblems({ temperature: null, stop: ['\n\n', 'END'], early_stopping: 'never' })).toEqual([]);
  });

  it.each([
    ['temperature', 'hot', 'temperature must be a number from 0 to 2'],
    ['temperature', 2.5, 'temperature must be a number from 0 to 2, not 2.5'],
    ['top_p', 1.5, 'top_p must be a number from 0 to 1, not 1.5'],
    ['top_p', -0.1, 'top_p must be a number from 0 to 1, not -0.1'],
    ['max_tokens', 0, 'max_tokens must be a whole number of at least 1, not 0'],
    ['max_tokens', 1.5, 'max_tokens must be a whole number of at least 1'],
    ['max_tokens', '512', 'max_tokens must be a whole number of at least 1'],
    ['top_k', -2, 'top_k must be a whole number of at least -1, not -2'],
    ['presence_penalty', 3, 'presence_penalty must be a number from -2 to 2, not 3'],
    ['frequency_penalty', -2.5, 'frequency_penalty must be a number from -2 to 2, not -2.5'],
    ['repetition_penalty', 0, 'repetition_penalty must be a number above 0, not 0'],
    ['num_beams', 0, 'num_beams must be a whole number of at least 1, not 0'],
    ['seed', 0.5, 'seed must be a whole number'],
    ['do_sample', 'yes', 'do_sample must be true or false'],
    ['stop', [1], 'stop must be a string or a list of strings'],
    ['early_stopping', 'always', 'early_stopping must be true, false or "never"'],
  ])('%s: %j is refused, naming it', (field, value, message) => {
    expect(presetProblems({ [field]: value })).toEqual([{ field, message }]);
  });

  it('keeps other sampling parameters (vLLM takes more), but not a near miss of a known one', () => {
    expect(presetProblems({ guided_choice: ['a', 'b'], logit_bias: { 50256: -100 }, best_of: 2 })).toEqual(
      [],
    );
    expect(presetProblems({ temprature: 0.7 })).toEqual([
      { field: 'temprature', message: 'unknown generation parameter temprature (did you mean temperature?)' },
    ]);
    expect(presetProblems({ constructor: 1, toString: 'x' })).toEqual([]);
  });
});
