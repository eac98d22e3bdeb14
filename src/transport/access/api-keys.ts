import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Characters an API key may hold: those a `Sec-WebSocket-Protocol` token and a Bearer token both allow. */
const KEY_PATTERN = /^[A-Za-z0-9._~-]{16,256}$/;

/** Checks a presented key against the configured ones; answers the matching key's label (`key#N`), never the key. */
export type KeyCheck = (presented: string) => string | undefined;

/**
 * The keys of a key file: one per line; blank lines and lines starting with '#' are skipped.
 * Throws an Error naming the line (never its content) when a key is malformed.
 */
export function parseKeyFile(text: string, source: string): string[] {
  const keys: string[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const key = line.trim();
    if (key === '' || key.startsWith('#')) return;
    if (!KEY_PATTERN.test(key)) throw new Error(`${source} line ${index + 1}: an API key is 16 to 256 characters of A-Z a-z 0-9 . _ ~ -`);
    keys.push(key);
  });
  return keys;
}

/** Keys from the file (when given) and the list (from the environment); throws when a key is malformed or none is given. */
export function loadApiKeys(options: { file?: string; keys: readonly string[] }): string[] {
  const keys = options.file ? parseKeyFile(readFileSync(options.file, 'utf8'), options.file) : [];
  options.keys.forEach((key, index) => {
    if (!KEY_PATTERN.test(key)) throw new Error(`API key ${index + 1} of the key list: an API key is 16 to 256 characters of A-Z a-z 0-9 . _ ~ -`);
    keys.push(key);
  });
  if (keys.length === 0) throw new Error('API keys are on but no key is configured (set the key file or the key list)');
  return keys;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * A constant-time key check: the presented key and every configured key are compared as SHA-256 digests (fixed
 * length) with timingSafeEqual, all of them every time, so neither the key's length nor where it differs shows in timing.
 */
export function createKeyCheck(keys: readonly string[]): KeyCheck {
  const digests = keys.map(digest);
  return (presented) => {
    const candidate = digest(presented);
    let match = -1;
    digests.forEach((known, index) => {
      if (timingSafeEqual(known, candidate) && match < 0) match = index;
    });
    return match < 0 ? undefined : `key#${match + 1}`;
  };
}
