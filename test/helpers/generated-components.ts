/**
 * Writers of large component binaries for the decode-limit tests, encoded directly (jco's
 * wasm-tools takes 47 s to parse the WAT of 50 000 exports; these take milliseconds).
 */

const PREAMBLE = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
/** A core module exporting `f: func()`. */
const CORE_MODULE = [
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00,
  0x01,
  0x04,
  0x01,
  0x60,
  0x00,
  0x00, // type section: func () -> ()
  0x03,
  0x02,
  0x01,
  0x00, // function section: one func of type 0
  0x07,
  0x05,
  0x01,
  0x01,
  0x66,
  0x00,
  0x00, // export section: "f" func 0
  0x0a,
  0x04,
  0x01,
  0x02,
  0x00,
  0x0b, // code section: an empty body
];

/** Appends bytes to a growing buffer (these binaries reach megabytes). */
class ByteWriter {
  #buffer = new Uint8Array(1024);
  #length = 0;
  get bytes(): Uint8Array {
    return this.#buffer.subarray(0, this.#length);
  }
  #room(n: number): void {
    if (this.#length + n <= this.#buffer.length) return;
    const grown = new Uint8Array(Math.max(this.#buffer.length * 2, this.#length + n));
    grown.set(this.bytes);
    this.#buffer = grown;
  }
  put(...values: number[]): this {
    this.#room(values.length);
    for (const v of values) this.#buffer[this.#length++] = v;
    return this;
  }
  u32(value: number): this {
    let v = value;
    do {
      const b = v & 0x7f;
      v >>>= 7;
      this.put(v ? b | 0x80 : b);
    } while (v);
    return this;
  }
  raw(bytes: Uint8Array): this {
    this.#room(bytes.length);
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.length;
    return this;
  }
  /** An ASCII name. */
  name(text: string): this {
    this.u32(text.length).#room(text.length);
    for (let i = 0; i < text.length; i++) this.#buffer[this.#length++] = text.charCodeAt(i);
    return this;
  }
  section(id: number, body: ByteWriter): this {
    return this.put(id).u32(body.bytes.length).raw(body.bytes);
  }
}

function component(write: (w: ByteWriter) => void): Uint8Array {
  const w = new ByteWriter().put(...PREAMBLE);
  write(w);
  return w.bytes.slice();
}

/**
 * A component exporting `count` functions `export-number-<i>: func()`, each lifted from one core
 * function, laid out as wasm-tools lays out the same WAT (an alias and a canon section per
 * function, one export section): 50 000 make 2.2 MB, the component of issue 14's report.
 */
export function manyExportsComponent(count: number): Uint8Array {
  return component((w) => {
    w.section(1, new ByteWriter().put(...CORE_MODULE));
    w.section(2, new ByteWriter().put(0x01, 0x00, 0x00, 0x00)); // instantiate module 0, no args
    w.section(7, new ByteWriter().put(0x01, 0x40, 0x00, 0x01, 0x00)); // type 0: func()
    for (let i = 0; i < count; i++) {
      w.section(6, new ByteWriter().put(0x01, 0x00, 0x00, 0x01).u32(0).name('f')); // core func alias
      w.section(8, new ByteWriter().put(0x01, 0x00, 0x00).u32(i).put(0x00).u32(0)); // canon lift
    }
    const exports = new ByteWriter().u32(count);
    for (let i = 0; i < count; i++) exports.put(0x00).name(`export-number-${i}`).put(0x01).u32(i).put(0x00);
    w.section(11, exports);
  });
}

/**
 * A component whose one type section defines `count` records of `fields` u32 fields each and
 * nothing else: 60 000 records of 8 fields make a 4 MB type section.
 */
export function bigTypeSectionComponent(count: number, fields = 8): Uint8Array {
  return component((w) => {
    const types = new ByteWriter().u32(count);
    for (let i = 0; i < count; i++) {
      types.put(0x72).u32(fields);
      for (let f = 0; f < fields; f++) types.name(`field-${f}`).put(0x79);
    }
    w.section(7, types);
  });
}
