// generation_config.json (English only, like the real repositories): Hugging Face field names where one exists
// (temperature, min_p, top_p, repetition_penalty, max_new_tokens, bos/eos_token_id); Chatterbox's own knobs keep the
// PyTorch argument names (cfg_weight, exaggeration).
import { START_SPEECH_TOKEN, STOP_SPEECH_TOKEN } from './constants.js';

/** The documented English sampling defaults as generation_config.json content. */
export function englishGenerationConfigJson(): Record<string, unknown> {
  return {
    bos_token_id: START_SPEECH_TOKEN,
    eos_token_id: STOP_SPEECH_TOKEN,
    do_sample: true,
    temperature: 0.8,
    min_p: 0.05,
    top_p: 1.0,
    repetition_penalty: 1.2,
    max_new_tokens: 1000,
    cfg_weight: 0.5,
    exaggeration: 0.5,
  };
}
