import { createRequire } from 'node:module';
import type { LibAV, LibAVSync, LibAVWrapper } from '@libav.js/variant-mediarecorder-transcoder';

/** A libav.js instance running on this thread, with the synchronous (`_sync`) API the speech encoders need. */
export type SyncLibav = LibAV & LibAVSync;

/** The process's instance: loading one costs ~25–80 ms and ~8 MB, an encoder on a loaded one ~1–10 ms. */
let shared: Promise<SyncLibav> | undefined;
/** What `shared` resolved to, so a failed encoder can tell whether it was using the current instance. */
let current: SyncLibav | undefined;

async function load(): Promise<SyncLibav> {
  // libav.js is a CommonJS script that finds its WebAssembly build beside itself with require(); it also leaves a
  // `LibAV` global behind, which nothing here reads.
  const wrapper = createRequire(import.meta.url)('@libav.js/variant-mediarecorder-transcoder') as LibAVWrapper;
  // No worker and no threads: every call runs to completion on the caller's thread, so encode() can stay synchronous
  // and encoders of concurrent requests never interleave inside one call.
  const libav = await wrapper.LibAV({ noworker: true, nothreads: true });
  // FFmpeg logs to stderr past our logger (the AAC encoder prints its quantiser statistics on close); failures
  // still reach us as thrown return codes.
  libav.av_log_set_level_sync(libav.AV_LOG_QUIET);
  current = libav;
  return libav;
}

/** The process's libav.js instance, loaded on first use; rejects when the WebAssembly build cannot be loaded. */
export function sharedLibav(): Promise<SyncLibav> {
  shared ??= load().catch((err: unknown) => {
    shared = undefined;
    throw err;
  });
  return shared;
}

/**
 * Drops the shared instance after a failure inside it (a WebAssembly trap can leave its memory inconsistent), so the
 * next encoder gets a fresh one; encoders already open keep theirs.
 */
export function discardSharedLibav(instance: SyncLibav): void {
  if (current !== instance) return;
  current = undefined;
  shared = undefined;
}
