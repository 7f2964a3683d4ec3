import { PARAMS, alternating, fromPreset, requestBody, toRequestParams } from './gen-params';

describe('toRequestParams', () => {
  it('sends nothing for unset fields: empty text and booleans left at unset', () => {
    expect(toRequestParams({ temperature: '', do_sample: '', stop: '', ignore_eos: '  ' })).toEqual({
      params: {},
      errors: {},
    });
  });

  it('sends tri-state booleans as true or false only when set', () => {
    const { params } = toRequestParams({ do_sample: 'false', early_stopping: 'true', ignore_eos: '' });
    expect(params).toEqual({ do_sample: false, early_stopping: true });
    expect('ignore_eos' in params).toBe(false);
  });

  it('parses numbers, keeps 0, splits stops by line', () => {
    const { params, errors } = toRequestParams({
      temperature: '0',
      top_k: '40',
      max_tokens: '128',
      stop: '###\n\nUser:',
      seed: '-3',
    });
    expect(errors).toEqual({});
    expect(params).toEqual({ temperature: 0, top_k: 40, max_tokens: 128, stop: ['###', 'User:'], seed: -3 });
  });

  it('names the field of a value that cannot be sent', () => {
    const { params, errors } = toRequestParams({
      top_k: '2.5',
      temperature: 'hot',
      max_tokens: '0',
      do_sample: 'yes',
    });
    expect(params).toEqual({});
    expect(Object.keys(errors).sort()).toEqual(['do_sample', 'max_tokens', 'temperature', 'top_k']);
    expect(errors['top_k']).toMatch(/whole number/);
  });

  it("refuses what the server refuses, in the server's words: maximums and open bounds too", () => {
    // Before: only minimums were checked, so these went to the server and came back as a 400.
    const { params, errors } = toRequestParams({
      top_p: '1.5',
      temperature: '3',
      presence_penalty: '-2.5',
      repetition_penalty: '0',
      min_p: '0.1',
    });
    expect(params).toEqual({ min_p: 0.1 });
    expect(errors).toEqual({
      top_p: 'top_p must be a number from 0 to 1, not 1.5',
      temperature: 'temperature must be a number from 0 to 2, not 3',
      presence_penalty: 'presence_penalty must be a number from -2 to 2, not -2.5',
      repetition_penalty: 'repetition_penalty must be a number above 0, not 0',
    });
  });
});

describe('fromPreset', () => {
  it('round-trips every bundled-style field and reports the keys it does not know', () => {
    const preset = {
      do_sample: false,
      num_beams: 4,
      early_stopping: true,
      stop: ['a', 'b'],
      temperature: 0.2,
      foo: 1,
    };
    const { values, unknown } = fromPreset(preset);
    expect(unknown).toEqual(['foo']);
    const { foo: _, ...known } = preset;
    expect(toRequestParams(values).params).toEqual(known);
  });

  it('covers each parameter once', () => {
    expect(new Set(PARAMS.map((p) => p.key)).size).toBe(PARAMS.length);
  });
});

describe('requestBody', () => {
  it('puts model, input and stream over the parameters, and asks for usage when streaming', () => {
    const body = requestBody('m', { temperature: 1, stream: false }, true, { prompt: 'hi' });
    expect(body).toEqual({
      temperature: 1,
      model: 'm',
      prompt: 'hi',
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(requestBody('', {}, false, { messages: [] })).toEqual({ messages: [], stream: false });
  });
});

describe(alternating.name, () => {
  it('joins turns of one role in a row (a question whose answer failed, then the next one)', () => {
    expect(
      alternating([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'are you there?' },
        { role: 'user', content: 'back?' },
        { role: 'assistant', content: 'Yes.' },
        { role: 'user', content: 'good' },
      ]),
    ).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'are you there?\n\nback?' },
      { role: 'assistant', content: 'Yes.' },
      { role: 'user', content: 'good' },
    ]);
  });
});
