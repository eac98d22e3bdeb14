import type { SynthesisRequest } from '../engine.js';
import type { TextPiece } from './split-sentences.js';

/**
 * A request's text as an engine synthesizes it, in batches of pieces: the whole text in one batch, or for a streamed
 * request one batch per piece that arrives. `split` is the engine's own cut (sentences, then clauses of its length);
 * a streamed piece cut mid-sentence keeps that place, so its first part does not begin, nor its last part end, a
 * sentence. Every piece of a batch can be checked before the first one is spoken.
 */
export async function* requestPieces(request: SynthesisRequest, split: (text: string) => TextPiece[]): AsyncGenerator<TextPiece[]> {
  if (request.input === undefined) {
    yield split(request.text);
    return;
  }
  if (request.text.trim() !== '') yield split(request.text);
  for await (const arrived of request.input) {
    const parts = split(arrived.text);
    const first = parts[0];
    const last = parts.at(-1);
    if (first && !arrived.startsSentence) parts[0] = { ...first, startsSentence: false };
    if (last && !arrived.endsSentence) parts[parts.length - 1] = { ...parts[parts.length - 1]!, endsSentence: false };
    if (parts.length > 0) yield parts;
  }
}
