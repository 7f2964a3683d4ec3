import { GENERATION_PARAMS, generationParamProblem } from '@trainyard/sdk';

/**
 * Generation parameters as the Inference view edits them, and as they go on the wire: OpenAI names
 * plus the Hugging Face GenerationConfig / vLLM extensions the bundled presets use. The form holds
 * text; an empty field, or a boolean left at "unset", is not sent, so the server's default applies.
 */
export type ParamKind = 'float' | 'int' | 'bool' | 'stops';

export interface ParamDef {
  key: string;
  kind: ParamKind;
  /** Shown under Advanced (collapsed by default). */
  advanced: boolean;
  hint: string;
}

export const PARAMS: readonly ParamDef[] = [
  { key: 'temperature', kind: 'float', advanced: false, hint: '0 = greedy; higher = more random' },
  { key: 'top_p', kind: 'float', advanced: false, hint: 'nucleus sampling mass, 0..1' },
  { key: 'top_k', kind: 'int', advanced: false, hint: 'sample from the k likeliest tokens (-1 = all)' },
  { key: 'max_tokens', kind: 'int', advanced: false, hint: 'tokens to generate at most' },
  { key: 'repetition_penalty', kind: 'float', advanced: false, hint: '> 1 discourages repeats' },
  { key: 'stop', kind: 'stops', advanced: false, hint: 'one stop sequence per line' },
  { key: 'seed', kind: 'int', advanced: false, hint: 'fixed seed for reproducible sampling' },
  { key: 'min_p', kind: 'float', advanced: true, hint: 'drop tokens below min_p × top probability' },
  { key: 'presence_penalty', kind: 'float', advanced: true, hint: '-2..2, OpenAI' },
  { key: 'frequency_penalty', kind: 'float', advanced: true, hint: '-2..2, OpenAI' },
  { key: 'typical_p', kind: 'float', advanced: true, hint: 'locally typical sampling' },
  { key: 'epsilon_cutoff', kind: 'float', advanced: true, hint: 'truncation sampling' },
  { key: 'eta_cutoff', kind: 'float', advanced: true, hint: 'eta sampling' },
  { key: 'min_tokens', kind: 'int', advanced: true, hint: 'tokens before EOS/stop may end' },
  { key: 'no_repeat_ngram_size', kind: 'int', advanced: true, hint: 'forbid repeating n-grams' },
  { key: 'num_beams', kind: 'int', advanced: true, hint: 'beam search width (non-streaming)' },
  { key: 'num_beam_groups', kind: 'int', advanced: true, hint: 'diverse beam search groups' },
  { key: 'diversity_penalty', kind: 'float', advanced: true, hint: 'between beam groups' },
  { key: 'length_penalty', kind: 'float', advanced: true, hint: 'beam search: > 1 favours longer' },
  { key: 'penalty_alpha', kind: 'float', advanced: true, hint: 'contrastive search (with top_k)' },
  { key: 'do_sample', kind: 'bool', advanced: true, hint: 'sample (true) or decode greedily (false)' },
  { key: 'early_stopping', kind: 'bool', advanced: true, hint: 'beam search stops at num_beams finished' },
  { key: 'ignore_eos', kind: 'bool', advanced: true, hint: 'keep generating past EOS (vLLM)' },
  { key: 'skip_special_tokens', kind: 'bool', advanced: true, hint: 'drop special tokens from the text' },
];

/** Form values by key: text for numbers and stops (one per line), 'true' | 'false' | '' for booleans. */
export type ParamValues = Readonly<Record<string, string>>;

export interface ParamsResult {
  /** The fields to send; unset ones are absent. */
  params: Record<string, unknown>;
  /** Messages by key for values that cannot be sent. */
  errors: Record<string, string>;
}

/** The request fields the form's values stand for (unset → absent), or why a value is wrong. */
export function toRequestParams(values: ParamValues): ParamsResult {
  const params: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const def of PARAMS) {
    const raw = (values[def.key] ?? '').trim();
    if (raw === '') continue;
    if (def.kind === 'bool') {
      if (raw === 'true' || raw === 'false') params[def.key] = raw === 'true';
      else errors[def.key] = `${def.key} must be true, false or unset`;
    } else if (def.kind === 'stops') {
      const stops = (values[def.key] ?? '').split('\n').filter((s) => s !== '');
      if (stops.length) params[def.key] = stops;
    } else {
      const n = Number(raw);
      // The server's own rule where it has one (a range: `top_p must be a number from 0 to 1, not 1.5`).
      const rule = GENERATION_PARAMS[def.key] ?? { kind: def.kind === 'int' ? 'integer' : 'number' };
      const problem = generationParamProblem(rule, Number.isFinite(n) ? n : raw);
      if (problem) errors[def.key] = `${def.key} ${problem}`;
      else params[def.key] = n;
    }
  }
  return { params, errors };
}

/**
 * Form values from a preset (the inverse of toRequestParams). Keys the form does not know are
 * returned apart, so a preset is not silently changed when it is loaded and saved again.
 */
export function fromPreset(preset: Record<string, unknown>): {
  values: Record<string, string>;
  unknown: string[];
} {
  const values: Record<string, string> = {};
  const known = new Set(PARAMS.map((p) => p.key));
  for (const def of PARAMS) {
    const v = preset[def.key];
    if (v === undefined || v === null) continue;
    if (def.kind === 'stops') values[def.key] = (Array.isArray(v) ? v : [v]).map(String).join('\n');
    else values[def.key] = String(v);
  }
  return { values, unknown: Object.keys(preset).filter((k) => !known.has(k)) };
}

export type Message = { role: 'system' | 'user' | 'assistant'; content: string };

/**
 * A conversation as sent: turns of one role in a row joined into one (blank line between). A
 * question whose answer failed stays on screen, and the next one followed it: two user turns in a
 * row, which chat templates that require user/assistant to alternate (Llama 2's, Mistral's) refuse
 * with a 400.
 */
export function alternating(messages: readonly Message[]): Message[] {
  const out: Message[] = [];
  for (const m of messages) {
    const last = out[out.length - 1];
    if (last?.role === m.role)
      out[out.length - 1] = { role: m.role, content: `${last.content}\n\n${m.content}` };
    else out.push({ role: m.role, content: m.content });
  }
  return out;
}

/** The JSON body of `/completions` (prompt) or `/chat/completions` (messages). */
export function requestBody(
  model: string,
  params: Record<string, unknown>,
  stream: boolean,
  input: { prompt: string } | { messages: readonly Message[] },
): Record<string, unknown> {
  return {
    ...params,
    ...(model ? { model } : {}),
    ...input,
    stream,
    // Token counts for the status line (vLLM and OpenAI send a final usage chunk).
    ...(stream ? { stream_options: { include_usage: true } } : {}),
  };
}
