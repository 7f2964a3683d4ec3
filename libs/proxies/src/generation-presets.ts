import { Inject, Injectable } from '@nestjs/common';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  DomainError,
  ErrorDetail,
  GENERATION_PARAMS,
  generationParamProblem,
  SERVER_CONFIG,
  ServerConfig,
  ensurePrivateDir,
  nearName,
  writeFileAtomic,
} from '@trainyard/core';
import { PRESET_NAME } from './proxies.dto';

export type GenerationPreset = Record<string, unknown>;

/**
 * The bundled presets (read-only), named by the Hugging Face GenerationConfig / OpenAI fields the
 * Inference view sends.
 */
/** Whether `name` is a bundled preset's: its own key, never one inherited (`constructor`, `toString`). */
function isBundled(name: string): boolean {
  return Object.hasOwn(BUNDLED_PRESETS, name);
}

export const BUNDLED_PRESETS: Readonly<Record<string, Readonly<GenerationPreset>>> = {
  greedy: { do_sample: false, max_tokens: 512 },
  precise: { temperature: 0.2, top_p: 0.9, top_k: 20, repetition_penalty: 1.05, max_tokens: 512 },
  balanced: { temperature: 0.7, top_p: 0.9, top_k: 50, repetition_penalty: 1.1, max_tokens: 512 },
  creative: { temperature: 1.0, top_p: 0.95, top_k: 100, min_p: 0.05, max_tokens: 1024 },
  beam_search: { do_sample: false, num_beams: 4, early_stopping: true, length_penalty: 1.0, max_tokens: 256 },
  contrastive: { do_sample: false, penalty_alpha: 0.6, top_k: 4, max_tokens: 256 },
};

/**
 * A preset's problems, each naming its field: a known parameter of the wrong type or out of range
 * (`temperature must be a number from 0 to 2`), or an unknown key that is a near miss of a known
 * one. `null` leaves a parameter to the server's default, as in OpenAI's API.
 */
export function presetProblems(preset: Record<string, unknown>): ErrorDetail[] {
  const known = Object.keys(GENERATION_PARAMS);
  const details: ErrorDetail[] = [];
  for (const [key, value] of Object.entries(preset)) {
    const rule = Object.hasOwn(GENERATION_PARAMS, key) ? GENERATION_PARAMS[key] : undefined;
    if (!rule) {
      const near = nearName(key, known);
      if (near)
        details.push({
          field: key,
          message: `unknown generation parameter ${key} (did you mean ${near}?)`,
        });
      continue;
    }
    if (value === null) continue;
    const problem = generationParamProblem(rule, value);
    if (problem) details.push({ field: key, message: `${key} ${problem}` });
  }
  return details;
}

export interface PresetInfo {
  name: string;
  builtin: boolean;
  shadows_builtin: boolean;
}

/**
 * Generation presets: the bundled ones plus user presets in the state directory
 * (`generation_configs/<name>.json`, 0600), a user preset shadowing a bundled one of the same name.
 */
@Injectable()
export class GenerationPresets {
  private readonly dir: string;

  constructor(@Inject(SERVER_CONFIG) config: ServerConfig) {
    this.dir = config.paths.generationConfigsDir;
  }

  list(): PresetInfo[] {
    const user = new Set(this.userNames());
    const names = [...new Set([...Object.keys(BUNDLED_PRESETS), ...user])].sort();
    return names.map((name) => ({
      name,
      builtin: !user.has(name),
      shadows_builtin: user.has(name) && isBundled(name),
    }));
  }

  /** The user copy if there is one, else the bundled one. */
  get(name: string): GenerationPreset {
    const file = this.file(name);
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as GenerationPreset;
    const bundled = isBundled(name) ? BUNDLED_PRESETS[name] : undefined;
    if (!bundled) throw new DomainError('NOT_FOUND', `No generation preset ${name}`);
    return { ...bundled };
  }

  /** Saves (or overwrites) a user preset; a bundled name is shadowed, never changed. */
  put(name: string, preset: unknown): GenerationPreset {
    if (preset === null || typeof preset !== 'object' || Array.isArray(preset)) {
      throw new DomainError('VALIDATION_FAILED', 'A preset is a JSON object of generation parameters', [
        { field: 'body', message: 'body must be a JSON object' },
      ]);
    }
    const problems = presetProblems(preset as Record<string, unknown>);
    if (problems.length)
      throw new DomainError(
        'VALIDATION_FAILED',
        `Invalid preset: ${problems.map((d) => d.message).join('; ')}`,
        problems,
      );
    ensurePrivateDir(this.dir);
    writeFileAtomic(this.file(name), `${JSON.stringify(preset, null, 2)}\n`, 0o600);
    return preset as GenerationPreset;
  }

  /** Deletes a user preset; returns whether a bundled one of that name is served again. */
  delete(name: string): boolean {
    const file = this.file(name);
    if (!existsSync(file)) {
      if (isBundled(name)) {
        throw new DomainError(
          'FORBIDDEN',
          `${name} is a bundled preset and cannot be deleted; save your own under another name, ` +
            `or PUT /api/generation-configs/${name} to shadow it with your version`,
        );
      }
      throw new DomainError('NOT_FOUND', `No generation preset ${name}`);
    }
    rmSync(file);
    return isBundled(name);
  }

  private userNames(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length))
      .filter((n) => PRESET_NAME.test(n));
  }

  private file(name: string): string {
    // The controller validated the name; this guards every other caller (it becomes a file name).
    if (!PRESET_NAME.test(name)) throw new Error(`invalid preset name ${name}`);
    return join(this.dir, `${name}.json`);
  }
}
