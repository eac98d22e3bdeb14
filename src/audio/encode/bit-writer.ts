/** Writes bits most significant first into a growing byte buffer, as FLAC frames need. */
export class BitWriter {
  private bytes = new Uint8Array(4096);
  private length = 0;
  private acc = 0;
  private accBits = 0;

  /** Appends the low `bits` (0..24) bits of `value`. */
  write(value: number, bits: number): void {
    if (bits === 0) return;
    this.acc = (this.acc << bits) | (value & ((1 << bits) - 1));
    this.accBits += bits;
    while (this.accBits >= 8) {
      this.accBits -= 8;
      this.push((this.acc >>> this.accBits) & 0xff);
    }
    this.acc &= (1 << this.accBits) - 1;
  }

  /** Appends a signed value in `bits` two's-complement bits. */
  writeSigned(value: number, bits: number): void {
    this.write(value & (bits === 32 ? -1 : (1 << bits) - 1), bits);
  }

  /** Appends `count` zero bits and then a one: unary code. */
  writeUnary(count: number): void {
    for (let left = count; left > 0; left -= 16) this.write(0, Math.min(16, left));
    this.write(1, 1);
  }

  /** Pads with zero bits to the next byte boundary. */
  alignToByte(): void {
    if (this.accBits > 0) this.write(0, 8 - this.accBits);
  }

  /** Bytes written so far (whole bytes only). */
  get written(): number {
    return this.length;
  }

  /** A copy of the whole bytes written so far. */
  toBytes(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }

  private push(byte: number): void {
    if (this.length === this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[this.length++] = byte;
  }
}
