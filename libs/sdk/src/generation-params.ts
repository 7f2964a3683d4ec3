// Generation parameters' rules, shared by the server (a preset is refused when a known parameter
// breaks them: libs/proxies generation-presets) and the console's Inference form, so that both say
// the same thing about the same value.

/** What a known generation parameter takes: a number in a range, an integer from a least value, a flag. */
export type GenerationParamRule =
  | { kind: 'number'; min?: number; max?: number; above?: number }
  | { kind: 'integer'; min?: number; max?: number }
  | { kind: 'boolean' }
  | { kind: 'stop' }
  | { kind: 'early_stopping' };

/**
 * The generation parameters a preset is checked for, by the ranges their documentation gives
 * (OpenAI's API reference for its names; vLLM's SamplingParams and Hugging Face's GenerationConfig
 * for the rest). Any other key is kept as given — vLLM and other servers take more sampling
 * parameters than these — unless it is a near miss of one of them (`temprature`).
 */
export const GENERATION_PARAMS: Readonly<Record<string, GenerationParamRule>> = {
  temperature: { kind: 'number', min: 0, max: 2 },
  top_p: { kind: 'number', min: 0, max: 1 },
  top_k: { kind: 'integer', min: -1 },
  min_p: { kind: 'number', min: 0, max: 1 },
  typical_p: { kind: 'number', min: 0, max: 1 },
  epsilon_cutoff: { kind: 'number', min: 0, max: 1 },
  eta_cutoff: { kind: 'number', min: 0, max: 1 },
  max_tokens: { kind: 'integer', min: 1 },
  min_tokens: { kind: 'integer', min: 0 },
  n: { kind: 'integer', min: 1, max: 128 },
  seed: { kind: 'integer' },
  presence_penalty: { kind: 'number', min: -2, max: 2 },
  frequency_penalty: { kind: 'number', min: -2, max: 2 },
  repetition_penalty: { kind: 'number', above: 0 },
  no_repeat_ngram_size: { kind: 'integer', min: 0 },
  num_beams: { kind: 'integer', min: 1 },
  num_beam_groups: { kind: 'integer', min: 1 },
  diversity_penalty: { kind: 'number' },
  length_penalty: { kind: 'number' },
  penalty_alpha: { kind: 'number', min: 0 },
  stop: { kind: 'stop' },
  do_sample: { kind: 'boolean' },
  early_stopping: { kind: 'early_stopping' },
  ignore_eos: { kind: 'boolean' },
  skip_special_tokens: { kind: 'boolean' },
};

/**
 * Why `value` does not fit `rule`, worded to follow the parameter's name (`must be a number from 0
 * to 2, not 3`), or undefined.
 */
export function generationParamProblem(rule: GenerationParamRule, value: unknown): string | undefined {
  switch (rule.kind) {
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'early_stopping':
      return typeof value === 'boolean' || value === 'never' ? undefined : 'must be true, false or "never"';
    case 'stop':
      return typeof value === 'string' || (Array.isArray(value) && value.every((s) => typeof s === 'string'))
        ? undefined
        : 'must be a string or a list of strings';
    case 'number':
    case 'integer': {
      const integer = rule.kind === 'integer';
      const ok = integer ? Number.isSafeInteger(value) : typeof value === 'number' && Number.isFinite(value);
      const { min, max } = rule;
      const above = rule.kind === 'number' ? rule.above : undefined;
      const range =
        min !== undefined && max !== undefined
          ? ` from ${min} to ${max}`
          : min !== undefined
            ? ` of at least ${min}`
            : above !== undefined
              ? ` above ${above}`
              : max !== undefined
                ? ` of at most ${max}`
                : '';
      const wanted = `must be ${integer ? 'a whole number' : 'a number'}${range}`;
      if (!ok) return wanted;
      const n = value as number;
      if (
        (min !== undefined && n < min) ||
        (max !== undefined && n > max) ||
        (above !== undefined && n <= above)
      )
        return `${wanted}, not ${n}`;
      return undefined;
    }
  }
}
