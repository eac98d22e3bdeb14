import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type uWSModule from 'uWebSockets.js';

/** The uWebSockets.js module as its native binary exports it. */
export type Uws = typeof uWSModule;

/** The native module, or why it cannot be used here. */
export type UwsLoad = { ok: true; uws: Uws } | { ok: false; reason: string };

let loaded: UwsLoad | undefined;

/**
 * Loads uWebSockets.js's native binary for this platform and Node ABI, and only that: the package's own entry
 * point prints "This version of µWS is not compatible" and falls back to a pure-JS build that cannot upgrade
 * WebSockets, so it is never imported. Mirrors keep the binaries in `binaries/` or beside package.json.
 */
export function loadNativeUws(): UwsLoad {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const name = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  const dirs: string[] = [];
  try {
    const packageDir = dirname(require.resolve('uWebSockets.js/package.json'));
    dirs.push(join(packageDir, 'binaries'), packageDir);
  } catch {
    // A package whose `exports` hides package.json: its entry point sits beside the binaries. Resolving it loads nothing.
    try {
      dirs.push(dirname(require.resolve('uWebSockets.js')));
    } catch {
      return (loaded = { ok: false, reason: 'uWebSockets.js is not installed' });
    }
  }
  const binary = dirs.map((dir) => join(dir, name)).find((file) => existsSync(file));
  if (!binary) return (loaded = { ok: false, reason: `uWebSockets.js has no ${name} (Node ${process.versions.node} on ${process.platform}-${process.arch})` });
  try {
    return (loaded = { ok: true, uws: require(binary) as Uws });
  } catch (err) {
    // A binary built against a newer glibc than this system's fails here.
    return (loaded = { ok: false, reason: `uWebSockets.js ${name} does not load: ${(err as Error).message.split('\n')[0]}` });
  }
}
