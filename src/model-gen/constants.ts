// Token ids and audio rates of Chatterbox (see docs/chatterbox-engine.md); the generated graphs honour them.

/** Speech tokens 0..6560 are codebook entries (3^8, an 8-dimensional 3-level FSQ code). */
export const SPEECH_CODEBOOK_SIZE = 6561;
/** Start-of-speech token (English prompt ends with two of them). */
export const START_SPEECH_TOKEN = 6561;
/** Stop-of-speech token: generation ends when it is sampled. */
export const STOP_SPEECH_TOKEN = 6562;
/** English/multilingual embed_tokens replaces this id with a projection of `exaggeration`. */
export const EXAGGERATION_TOKEN = 6563;
/** A speech token the decoder renders (nearly) silent. */
export const SILENCE_TOKEN = 4299;

/** English text tokens: stop-text (also the text/speech boundary inside embed_tokens). */
export const STOP_TEXT_TOKEN = 0;
/** English text tokens: unknown character. */
export const UNK_TEXT_TOKEN = 1;
/** English text tokens: a space. */
export const SPACE_TEXT_TOKEN = 2;
/** English text tokens: start-text. */
export const START_TEXT_TOKEN = 255;

/** Sample rate of every waveform in and out (Hz). */
export const SAMPLE_RATE_HZ = 24000;
/** Waveform samples per speech token (25 tokens per second). */
export const SAMPLES_PER_TOKEN = 960;
/** speaker_features frames per speech token (20 ms hop, as the real mel front-end). */
export const FEATURE_FRAMES_PER_TOKEN = 2;
/** Only the first 10 s of a reference voice become prompt tokens and speaker features (samples). */
export const MAX_PROMPT_SAMPLES = 10 * SAMPLE_RATE_HZ;
/** Width of speaker_embeddings. */
export const SPEAKER_EMBEDDING_SIZE = 192;
/** Width of speaker_features (mel bins). */
export const FEATURE_BINS = 80;
/** audio_features rows: one speaker row plus 32 resampled prompt rows (the real perceiver's query count). */
export const CONDITIONING_ROWS = 33;
