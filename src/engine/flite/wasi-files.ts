/** A growable in-memory file: `bytes` may be longer than the file, whose length is `size`. */
export interface MemFile {
  bytes: Uint8Array;
  size: number;
}

/** A file holding a copy of `bytes`. */
export function createMemFile(bytes: Uint8Array = new Uint8Array(0)): MemFile {
  return { bytes: bytes.slice(), size: bytes.byteLength };
}

/** Resolves '.', '..' and repeated slashes against '/', never climbing above it; returns an absolute path. */
export function normalizePath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '' && part !== '.') parts.push(part);
  }
  return `/${parts.join('/')}`;
}

/** Copies up to `into.byteLength` bytes from `position`; returns how many (0 at or past the end). */
export function readAt(file: MemFile, position: number, into: Uint8Array): number {
  const count = Math.max(0, Math.min(into.byteLength, file.size - position));
  into.set(file.bytes.subarray(position, position + count));
  return count;
}

/** Writes `data` at `position`, growing the file; a gap past the old end reads as zeros, as on a real file. */
export function writeAt(file: MemFile, position: number, data: Uint8Array): void {
  const end = position + data.byteLength;
  if (end > file.bytes.byteLength) {
    const grown = new Uint8Array(Math.max(end, file.bytes.byteLength * 2, 4096));
    grown.set(file.bytes.subarray(0, file.size));
    file.bytes = grown;
  }
  if (position > file.size) file.bytes.fill(0, file.size, position);
  file.bytes.set(data, position);
  file.size = Math.max(file.size, end);
}
