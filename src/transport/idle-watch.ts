/** Timer state of one connection's idle timeout; see `watchIdle`. */
export interface IdleWatch {
  /** Traffic in either direction: the connection is not idle. */
  touch(): void;
  stop(): void;
}

/**
 * The idle timeout both adapters share: `onIdle` runs once nothing was received or sent for `idleMs` while
 * `isBusy()` is false. A connection with requests in flight is never idle, even when the client sends nothing
 * while it listens (uWS's own idleTimeout counts received data only, and cut such streams: issue 11).
 */
export function watchIdle(options: { idleMs: number; isBusy: () => boolean; onIdle: () => void }): IdleWatch {
  let timer: NodeJS.Timeout | undefined = setTimeout(function expire() {
    if (options.isBusy()) timer = setTimeout(expire, options.idleMs);
    else {
      timer = undefined;
      options.onIdle();
    }
  }, options.idleMs);
  return {
    touch: () => timer?.refresh(),
    stop() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
