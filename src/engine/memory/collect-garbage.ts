import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/**
 * Runs a full garbage collection of the calling thread's heap. V8 only collects when JavaScript allocates, so an
 * idle thread keeps its garbage, and with it the WebAssembly memories of dead instances, resident for good.
 */
export function collectGarbage(): void {
  if (gc === undefined) {
    // The flag only puts `gc` on contexts created while it is set; it is cleared again at once so that threads
    // and contexts started later do not get a global `gc`.
    setFlagsFromString('--expose-gc');
    try {
      gc = runInNewContext('gc') as () => void;
    } finally {
      setFlagsFromString('--no-expose-gc');
    }
  }
  gc();
}
