import type { TextPiece } from '../engine/text/split-sentences.js';
import type { TextQueue } from '../engine/text/text-queue.js';
import type { RequestSlot } from './request-slot.js';

/**
 * A streamed request's input as its engine takes it: when the engine asks for the next piece and none is there yet,
 * the request gives its generation slot back until the text comes (or the input ends), and takes a slot again before
 * the engine gets the piece, so an idle streamed request does not keep another request from generating.
 */
export function slotFreeWhileWaiting(queue: TextQueue, slot: RequestSlot): AsyncIterable<TextPiece> {
  return {
    async *[Symbol.asyncIterator]() {
      const pieces = queue[Symbol.asyncIterator]();
      for (;;) {
        const next = queue.ready ? await pieces.next() : await slot.stepAside(() => pieces.next());
        if (next.done) return;
        yield next.value;
      }
    },
  };
}
