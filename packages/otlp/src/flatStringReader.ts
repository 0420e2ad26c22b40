import { isUtf8 } from 'node:buffer';
import protobuf from 'protobufjs';

type ReaderClass = new (buffer: Buffer) => protobuf.Reader;

/**
 * `Base` (protobufjs's reader over a Buffer or over a Uint8Array) with flat strings: protobufjs
 * builds a string under 64 bytes by appending 8 characters at a time, a chain V8 copies into one
 * piece the first time the string is hashed or compared (attribute keys, on every span: the
 * ingester's Node side spent a third more CPU per span with them, `pnpm bench ingester-node`).
 * Valid UTF-8 is sliced from the bytes in one piece; anything else goes to protobufjs's own
 * reading, so errors and results stay those of protobufjs.
 */
function withFlatStrings(Base: ReaderClass) {
  return class extends Base {
    readonly text: Buffer;
    constructor(bytes: Uint8Array) {
      super(bytes as Buffer);
      this.text = Buffer.isBuffer(bytes)
        ? bytes
        : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }

    override stringVerify(): string {
      const from = this.pos;
      const length = this.size();
      const start = this.pos;
      const end = start + length;
      if (end <= this.len) {
        const text = this.text;
        // Short strings are checked here (a native call costs more), long ones natively.
        let ascii = length < 64;
        for (let i = start; ascii && i < end; i++) if (text[i]! >= 0x80) ascii = false;
        if (ascii || isUtf8(text.subarray(start, end))) {
          this.pos = end;
          return length === 0 ? '' : text.toString(ascii ? 'latin1' : 'utf8', start, end);
        }
      }
      this.pos = from;
      return super.stringVerify();
    }
  };
}

const FlatBufferReader = withFlatStrings(protobuf.BufferReader);
const FlatArrayReader = withFlatStrings(protobuf.Reader);

/**
 * The reader protobufjs would make for `bytes` (as `Reader.create` picks it), with flat strings.
 * @example protoTypes().request.decode(flatStringReader(body))
 */
export function flatStringReader(bytes: Uint8Array): protobuf.Reader {
  return protobuf.util.Buffer && Buffer.isBuffer(bytes)
    ? new FlatBufferReader(bytes)
    : new FlatArrayReader(bytes);
}
