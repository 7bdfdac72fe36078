// Reading and writing the Wasm binary format (W3C core specification), with the errors a
// node's deserializer reports: casper-network/casper-wasm src/elements/mod.rs (Display of
// `Error`), as execution_engine/src/runtime/wasm_prep.rs wraps them in
// `Deserialization error: …`.

/** A module a node would not run, with the words of its `PreprocessingError`. */
export class PreprocessError extends Error {}

export const deserialization = (reason: string) =>
  new PreprocessError(`Deserialization error: ${reason}`);

export class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public pos = 0,
    readonly end = bytes.length,
  ) {}

  byte(): number {
    if (this.pos >= this.end) throw deserialization('Unexpected end of input');
    return this.bytes[this.pos++] as number;
  }

  /** VarUint32: at most five bytes, the value below 2^32. */
  u32(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      if (shift === 28 && b > 0x0f) throw deserialization('Not an unsigned 32-bit integer');
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    throw deserialization('Not an unsigned 32-bit integer');
  }

  /** VarInt7 (value and block types): one byte, sign-extended from 7 bits. */
  i7(): number {
    const b = this.byte();
    if (b & 0x80) throw deserialization(`Not a signed 7-bit integer: ${b}`);
    return b & 0x40 ? b - 0x80 : b;
  }

  /** Skips a signed LEB128 of at most `bits` bits (VarInt32, VarInt64). */
  skipSigned(bits: 32 | 64): void {
    const max = Math.ceil(bits / 7);
    for (let i = 0; i < max; i++) if ((this.byte() & 0x80) === 0) return;
    throw deserialization(`Not a signed ${bits}-bit integer`);
  }

  skip(n: number): void {
    if (this.pos + n > this.end) throw deserialization('Unexpected end of input');
    this.pos += n;
  }

  take(n: number): Uint8Array {
    const start = this.pos;
    this.skip(n);
    return this.bytes.subarray(start, this.pos);
  }

  name(): string {
    const bytes = this.take(this.u32());
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw deserialization('Non-UTF-8 string');
    }
  }
}

/** A growable byte buffer for the instrumented module. */
export class Writer {
  private buffer = new Uint8Array(1024);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  byte(b: number): this {
    this.reserve(1);
    this.buffer[this.length++] = b;
    return this;
  }

  bytes(data: Uint8Array | readonly number[]): this {
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
    return this;
  }

  u32(value: number): this {
    let rest = value;
    do {
      let b = rest % 128;
      rest = Math.floor(rest / 128);
      if (rest > 0) b |= 0x80;
      this.byte(b);
    } while (rest > 0);
    return this;
  }

  signed(value: bigint | number): this {
    let rest = BigInt(value);
    for (;;) {
      const b = Number(rest & 0x7fn);
      rest >>= 7n;
      const done = (rest === 0n && (b & 0x40) === 0) || (rest === -1n && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  name(text: string): this {
    const bytes = new TextEncoder().encode(text);
    return this.u32(bytes.length).bytes(bytes);
  }

  /** Appends `inner` as a section or function body: its size, then its bytes. */
  sized(inner: Writer): this {
    return this.u32(inner.length).bytes(inner.result());
  }

  result(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}
