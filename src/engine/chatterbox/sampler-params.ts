import type { ParamInfo } from '../../protocol/messages.js';
import type { SamplerParams } from './sampler.js';

/** Which Chatterbox model is loaded; Turbo has no CFG and no exaggeration. */
export type ChatterboxVariant = 'english' | 'multilingual' | 'turbo';

/** The defaults a model's generation_config.json may override, by their API names. */
export interface GenerationDefaults {
  exaggeration: number;
  cfg_weight: number;
  temperature: number;
  top_p: number;
  min_p: number;
  top_k: number;
  repetition_penalty: number;
  max_new_tokens: number;
}

/** A generation_config.json field left out, and why, for the caller to log. */
export interface IgnoredSetting {
  field: string;
  reason: string;
}

/** What `parseGenerationConfig` read: the usable overrides and the fields it ignored. */
export interface ParsedGenerationConfig {
  overrides: Partial<GenerationDefaults>;
  ignored: IgnoredSetting[];
}

const UINT32_MAX = 4294967295;

// Key order is the order clients see; `default` here is the English/multilingual one.
const PARAMS: Readonly<Record<keyof GenerationDefaults | 'seed', Readonly<ParamInfo>>> = {
  exaggeration: { min: 0.25, max: 2, default: 0.5 },
  cfg_weight: { min: 0, max: 1, default: 0.5 },
  temperature: { min: 0, max: 5, default: 0.8 },
  top_p: { min: 0, max: 1, default: 1 },
  min_p: { min: 0, max: 1, default: 0.05 },
  top_k: { min: 0, max: 8194, default: 0, integer: true },
  repetition_penalty: { min: 1, max: 2, default: 1.2 },
  seed: { min: 0, max: UINT32_MAX, default: 0, integer: true },
  max_new_tokens: { min: 1, max: 2000, default: 1000, integer: true },
};

const TURBO_DEFAULTS: Partial<GenerationDefaults> = { top_p: 0.95, min_p: 0, top_k: 1000 };
const TURBO_ABSENT = new Set<string>(['exaggeration', 'cfg_weight']);
const CONFIG_FIELDS = Object.keys(PARAMS).filter((name) => name !== 'seed') as (keyof GenerationDefaults)[];

/**
 * The parameters a variant accepts, with ranges and defaults (`seed` 0 means "pick one at random"); `overrides`
 * (from `parseGenerationConfig`) replace defaults. Throws RangeError when an override lies outside its range.
 */
export function chatterboxParamInfo(variant: ChatterboxVariant, overrides: Partial<GenerationDefaults> = {}): Record<string, ParamInfo> {
  const result: Record<string, ParamInfo> = {};
  for (const [name, info] of Object.entries(PARAMS)) {
    if (variant === 'turbo' && TURBO_ABSENT.has(name)) continue;
    const key = name as keyof GenerationDefaults;
    const value = overrides[key] ?? (variant === 'turbo' ? TURBO_DEFAULTS[key] : undefined) ?? info.default;
    const problem = rangeProblem(info, value);
    if (problem !== undefined) throw new RangeError(`${name} default ${problem}`);
    result[name] = { ...info, default: value };
  }
  return result;
}

/**
 * Reads the sampling defaults present in a parsed generation_config.json; values that are not numbers, not whole
 * where required, or out of range are ignored with a reason. Stop/EOS ids are ignored on purpose: generation stops
 * only on token 6562. Never throws.
 */
export function parseGenerationConfig(json: unknown): ParsedGenerationConfig {
  const overrides: Partial<GenerationDefaults> = {};
  const ignored: IgnoredSetting[] = [];
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { overrides, ignored: [{ field: '$', reason: 'generation config is not a JSON object' }] };
  }
  const config = json as Record<string, unknown>;
  for (const field of CONFIG_FIELDS) {
    const value = config[field];
    // HF writes null for "not set".
    if (value === undefined || value === null) continue;
    const problem = typeof value === 'number' ? rangeProblem(PARAMS[field], value) : `is a ${typeof value}`;
    if (problem === undefined) overrides[field] = value as number;
    else ignored.push({ field, reason: `${field} ${problem}` });
  }
  return { overrides, ignored };
}

/** The sampler's view of validated request params (API names); a missing stage param turns that stage off. */
export function toSamplerParams(params: Readonly<Record<string, number>>): SamplerParams {
  return {
    temperature: params['temperature'] ?? 1,
    topK: params['top_k'] ?? 0,
    topP: params['top_p'] ?? 1,
    minP: params['min_p'] ?? 0,
    repetitionPenalty: params['repetition_penalty'] ?? 1,
    cfgWeight: params['cfg_weight'] ?? 0,
  };
}

function rangeProblem(info: ParamInfo, value: number): string | undefined {
  if (!Number.isFinite(value)) return `${value} is not a finite number`;
  if (info.integer === true && !Number.isInteger(value)) return `${value} is not a whole number`;
  if (value < info.min || value > info.max) return `${value} is outside [${info.min}, ${info.max}]`;
  return undefined;
}
