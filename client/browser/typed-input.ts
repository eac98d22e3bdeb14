// "Type as you go": what the user appends to the text box, sent as a streamed request's input while they type.

/** The text typed since a streamed request began, as the async iterable `speakStream` reads. */
export interface TypedInput {
  readonly texts: AsyncIterable<string>;
  /** True once `end` was called: the request's input is closed. */
  readonly ended: boolean;
  /** The box's whole value now: what was appended since the last call is sent; an edit of earlier text is not. */
  update(value: string): void;
  /** Closes the input: the request speaks what is left and ends. */
  end(): void;
}

/** Starts tracking the box from `baseline`, its value when the request began (text before it is not spoken). */
export function createTypedInput(baseline: string): TypedInput {
  let sent = baseline;
  let ended = false;
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  const notify = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  return {
    get ended() {
      return ended;
    },
    texts: {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const text = queue.shift();
          if (text !== undefined) yield text;
          else if (ended) return;
          else await new Promise<void>((resolve) => (wake = resolve));
        }
      },
    },
    update(value) {
      if (ended) return;
      // Speech already sent cannot be taken back: an edit before the end moves the mark without sending anything.
      if (value.startsWith(sent) && value.length > sent.length) queue.push(value.slice(sent.length));
      sent = value;
      notify();
    },
    end() {
      ended = true;
      notify();
    },
  };
}
