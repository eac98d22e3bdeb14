import { collectGarbage } from './collect-garbage.js';

/** Runs a collection once a thread has been idle for a while; see `createIdleCollector`. */
export interface IdleCollector {
  /** Notes that garbage was just made: the collection runs `idleMs` after the last call. */
  touch(): void;
  /** Cancels a pending collection; later touches schedule none. */
  stop(): void;
}

/**
 * Schedules `collect` (a full garbage collection by default) to run once no `touch()` came for `idleMs` ms.
 * Under load V8 collects by itself as memory grows; it is the garbage left when the load stops that nothing
 * collects. The timer never keeps the process alive.
 */
export function createIdleCollector(idleMs: number, collect: () => void = collectGarbage): IdleCollector {
  if (!(idleMs >= 0)) throw new RangeError(`idleMs must be >= 0, got ${idleMs}`);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const fire = () => {
    timer = undefined;
    collect();
  };
  return {
    touch() {
      if (stopped) return;
      // refresh() restarts the same timer, so a busy engine does not allocate one per call.
      if (timer) timer.refresh();
      else timer = setTimeout(fire, idleMs).unref();
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
