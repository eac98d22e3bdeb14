import { createMemFile, normalizePath, readAt, writeAt, type MemFile } from './wasi-files.js';

/** WASI preview1 errno values used by the shim (wasi_snapshot_preview1 `errno` enum). */
export const ERRNO = {
  SUCCESS: 0,
  BADF: 8,
  EXIST: 20,
  INVAL: 28,
  ISDIR: 31,
  NOENT: 44,
  NOTDIR: 54,
  SPIPE: 70,
} as const;

/** WASI `filetype` of each kind of open fd. */
const FILETYPE = { stdin: 2, stdout: 2, stderr: 2, dir: 3, file: 4 } as const;
const OFLAG_CREAT = 1;
const OFLAG_DIRECTORY = 2;
const OFLAG_EXCL = 4;
const OFLAG_TRUNC = 8;
const FDFLAG_APPEND = 1;
const [WHENCE_SET, WHENCE_CUR] = [0, 1];
const ALL_RIGHTS = 0x1fffffffn;
/** The one preopened directory, '/', at the first fd after stdio, where wasi-libc looks for preopens. */
const PREOPEN_FD = 3;

/** What a run sees: its argv (program name first) and the files present in '/' before it starts. */
export interface WasiShimOptions {
  args: string[];
  /** Initial file contents by absolute path, e.g. `{ '/in.txt': bytes }`. */
  files?: Record<string, Uint8Array>;
}

/** One run of a WASI command module against an in-memory filesystem. */
export interface WasiShim {
  /** Pass as the import object to `WebAssembly.instantiate`. */
  readonly imports: WebAssembly.Imports;
  /** Calls the instance's `_start`; returns the exit code. Traps and host errors are rethrown. */
  run(instance: WebAssembly.Instance): number;
  /** The bytes of a file by absolute path (a view, not a copy), or undefined when it does not exist. */
  readFile(path: string): Uint8Array | undefined;
  /** Everything written to fd 1 so far, decoded as UTF-8. */
  stdout(): string;
  /** Everything written to fd 2 so far, decoded as UTF-8. */
  stderr(): string;
}

type OpenFd =
  | { kind: 'stdin' }
  | { kind: 'stdout' | 'stderr'; chunks: Uint8Array[] }
  | { kind: 'dir' }
  | { kind: 'file'; file: MemFile; position: number; append: boolean };

/** Thrown by `proc_exit` to unwind out of `_start`; private so no program error can look like it. */
class ProcExit {
  constructor(readonly code: number) {}
}

/**
 * Creates a fresh WASI preview1 environment holding only what a command-line program needs:
 * args, a clock, stdio, and files under one preopened '/'. Node's own node:wasi is not used because it
 * crashes the process after repeated runs (https://github.com/nodejs/node/issues/52402).
 */
export function createWasiShim(options: WasiShimOptions): WasiShim {
  const encoder = new TextEncoder();
  const argBytes = options.args.map((arg) => encoder.encode(`${arg}\0`));
  const files = new Map<string, MemFile>();
  for (const [path, bytes] of Object.entries(options.files ?? {})) {
    files.set(normalizePath(path), createMemFile(bytes));
  }
  const stdout: Uint8Array[] = [];
  const stderr: Uint8Array[] = [];
  const fds = new Map<number, OpenFd>([
    [0, { kind: 'stdin' }],
    [1, { kind: 'stdout', chunks: stdout }],
    [2, { kind: 'stderr', chunks: stderr }],
    [PREOPEN_FD, { kind: 'dir' }],
  ]);
  let nextFd = PREOPEN_FD + 1;
  let memory: WebAssembly.Memory | undefined;

  const mem = (): { view: DataView; bytes: Uint8Array } => {
    if (memory === undefined) throw new Error('WASI: a syscall ran before run() bound the instance memory');
    return { view: new DataView(memory.buffer), bytes: new Uint8Array(memory.buffer) };
  };
  const iovecs = (view: DataView, ptr: number, count: number): Array<[number, number]> =>
    Array.from({ length: count }, (_, i) => [view.getUint32(ptr + i * 8, true), view.getUint32(ptr + i * 8 + 4, true)]);

  const syscalls = {
    args_sizes_get(argcPtr: number, bufSizePtr: number): number {
      const { view } = mem();
      view.setUint32(argcPtr, argBytes.length, true);
      view.setUint32(
        bufSizePtr,
        argBytes.reduce((sum, arg) => sum + arg.byteLength, 0),
        true,
      );
      return ERRNO.SUCCESS;
    },
    args_get(argvPtr: number, bufPtr: number): number {
      const { view, bytes } = mem();
      argBytes.forEach((arg, i) => {
        view.setUint32(argvPtr + i * 4, bufPtr, true);
        bytes.set(arg, bufPtr);
        bufPtr += arg.byteLength;
      });
      return ERRNO.SUCCESS;
    },
    clock_time_get(clockId: number, _precision: bigint, timePtr: number): number {
      const now = clockId === 0 ? BigInt(Date.now()) * 1_000_000n : process.hrtime.bigint();
      mem().view.setBigUint64(timePtr, now, true);
      return ERRNO.SUCCESS;
    },
    fd_close(fd: number): number {
      return fds.delete(fd) ? ERRNO.SUCCESS : ERRNO.BADF;
    },
    fd_fdstat_get(fd: number, statPtr: number): number {
      const entry = fds.get(fd);
      if (entry === undefined) return ERRNO.BADF;
      const { view } = mem();
      view.setUint8(statPtr, FILETYPE[entry.kind]);
      view.setUint16(statPtr + 2, entry.kind === 'file' && entry.append ? FDFLAG_APPEND : 0, true);
      view.setBigUint64(statPtr + 8, ALL_RIGHTS, true);
      view.setBigUint64(statPtr + 16, ALL_RIGHTS, true);
      return ERRNO.SUCCESS;
    },
    fd_fdstat_set_flags(fd: number, flags: number): number {
      const entry = fds.get(fd);
      if (entry === undefined) return ERRNO.BADF;
      if (entry.kind === 'file') entry.append = (flags & FDFLAG_APPEND) !== 0;
      return ERRNO.SUCCESS;
    },
    fd_prestat_get(fd: number, prestatPtr: number): number {
      if (fd !== PREOPEN_FD || !fds.has(fd)) return ERRNO.BADF;
      const { view } = mem();
      view.setUint8(prestatPtr, 0); // preopentype 0: a directory
      view.setUint32(prestatPtr + 4, 1, true); // the name '/' is one byte
      return ERRNO.SUCCESS;
    },
    fd_prestat_dir_name(fd: number, pathPtr: number, pathLen: number): number {
      if (fd !== PREOPEN_FD || !fds.has(fd)) return ERRNO.BADF;
      if (pathLen < 1) return ERRNO.INVAL;
      mem().bytes[pathPtr] = 0x2f; // '/'
      return ERRNO.SUCCESS;
    },
    fd_read(fd: number, iovsPtr: number, iovsLen: number, nreadPtr: number): number {
      const entry = fds.get(fd);
      if (entry === undefined) return ERRNO.BADF;
      const { view, bytes } = mem();
      let total = 0;
      if (entry.kind === 'file') {
        for (const [ptr, len] of iovecs(view, iovsPtr, iovsLen)) {
          const n = readAt(entry.file, entry.position, bytes.subarray(ptr, ptr + len));
          entry.position += n;
          total += n;
        }
      } else if (entry.kind !== 'stdin') {
        return entry.kind === 'dir' ? ERRNO.ISDIR : ERRNO.BADF;
      }
      view.setUint32(nreadPtr, total, true); // stdin is always at end of file
      return ERRNO.SUCCESS;
    },
    fd_seek(fd: number, offset: bigint, whence: number, newOffsetPtr: number): number {
      const entry = fds.get(fd);
      if (entry === undefined) return ERRNO.BADF;
      if (entry.kind !== 'file') return entry.kind === 'dir' ? ERRNO.ISDIR : ERRNO.SPIPE;
      const base = whence === WHENCE_SET ? 0 : whence === WHENCE_CUR ? entry.position : entry.file.size;
      const position = base + Number(offset);
      if (whence > 2 || position < 0) return ERRNO.INVAL;
      entry.position = position;
      mem().view.setBigUint64(newOffsetPtr, BigInt(position), true);
      return ERRNO.SUCCESS;
    },
    fd_write(fd: number, iovsPtr: number, iovsLen: number, nwrittenPtr: number): number {
      const entry = fds.get(fd);
      if (entry === undefined) return ERRNO.BADF;
      if (entry.kind === 'stdin' || entry.kind === 'dir') return ERRNO.BADF;
      const { view, bytes } = mem();
      let total = 0;
      for (const [ptr, len] of iovecs(view, iovsPtr, iovsLen)) {
        const data = bytes.slice(ptr, ptr + len);
        if (entry.kind === 'file') {
          if (entry.append) entry.position = entry.file.size;
          writeAt(entry.file, entry.position, data);
          entry.position += len;
        } else {
          entry.chunks.push(data);
        }
        total += len;
      }
      view.setUint32(nwrittenPtr, total, true);
      return ERRNO.SUCCESS;
    },
    path_open(
      dirFd: number,
      _dirFlags: number,
      pathPtr: number,
      pathLen: number,
      oflags: number,
      _rightsBase: bigint,
      _rightsInheriting: bigint,
      fdflags: number,
      openedFdPtr: number,
    ): number {
      const dir = fds.get(dirFd);
      if (dir === undefined) return ERRNO.BADF;
      if (dir.kind !== 'dir') return ERRNO.NOTDIR;
      const { view, bytes } = mem();
      const path = normalizePath(new TextDecoder().decode(bytes.subarray(pathPtr, pathPtr + pathLen)));
      if (path === '/') return ERRNO.ISDIR;
      if ((oflags & OFLAG_DIRECTORY) !== 0) return ERRNO.NOTDIR;
      let file = files.get(path);
      if (file !== undefined && (oflags & OFLAG_CREAT) !== 0 && (oflags & OFLAG_EXCL) !== 0) return ERRNO.EXIST;
      if (file === undefined) {
        if ((oflags & OFLAG_CREAT) === 0) return ERRNO.NOENT;
        file = createMemFile();
        files.set(path, file);
      }
      if ((oflags & OFLAG_TRUNC) !== 0) file.size = 0;
      const fd = nextFd++;
      fds.set(fd, { kind: 'file', file, position: 0, append: (fdflags & FDFLAG_APPEND) !== 0 });
      view.setUint32(openedFdPtr, fd, true);
      return ERRNO.SUCCESS;
    },
    proc_exit(code: number): never {
      throw new ProcExit(code);
    },
  };

  const decode = (chunks: Uint8Array[]): string => Buffer.concat(chunks).toString('utf8');
  return {
    imports: { wasi_snapshot_preview1: syscalls },
    run(instance) {
      const { memory: exported, _start: start } = instance.exports;
      if (!(exported instanceof WebAssembly.Memory) || typeof start !== 'function') {
        throw new Error('WASI: the instance does not export `memory` and `_start`');
      }
      memory = exported;
      try {
        start();
        return 0;
      } catch (err) {
        if (err instanceof ProcExit) return err.code;
        throw err;
      }
    },
    readFile(path) {
      const file = files.get(normalizePath(path));
      return file?.bytes.subarray(0, file.size);
    },
    stdout: () => decode(stdout),
    stderr: () => decode(stderr),
  };
}
