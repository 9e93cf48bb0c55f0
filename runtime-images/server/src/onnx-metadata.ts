// Reads `metadata_props` (ModelProto field 14) out of an ONNX file without a protobuf library:
// onnxruntime-node does not expose custom metadata, and the trainer writes the signature there.

const METADATA_PROPS = 14;
const KEY = 1;
const VALUE = 2;

function readVarint(buf: Uint8Array, pos: number): [number, number] {
  let result = 0;
  let shift = 1;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const b = buf[pos++] ?? 0;
    result += (b & 0x7f) * shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift *= 128;
    if (shift > 2 ** 63) throw new Error('varint too long');
  }
}

/** Calls `onField(field, start, end)` for each length-delimited field; skips the others. */
function scan(buf: Uint8Array, start: number, end: number, onField: (field: number, s: number, e: number) => void): void {
  let pos = start;
  while (pos < end) {
    const [tag, p1] = readVarint(buf, pos);
    pos = p1;
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) {
      pos = readVarint(buf, pos)[1];
    } else if (wire === 1) {
      pos += 8;
    } else if (wire === 5) {
      pos += 4;
    } else if (wire === 2) {
      const [len, p2] = readVarint(buf, pos);
      if (p2 + len > end) throw new Error('truncated field');
      onField(field, p2, p2 + len);
      pos = p2 + len;
    } else {
      throw new Error(`unsupported wire type ${wire}`);
    }
  }
}

export function readOnnxMetadata(model: Uint8Array): Record<string, string> {
  const props: Record<string, string> = {};
  const decoder = new TextDecoder();
  scan(model, 0, model.length, (field, s, e) => {
    if (field !== METADATA_PROPS) return;
    let key = '';
    let value = '';
    scan(model, s, e, (f, ks, ke) => {
      if (f === KEY) key = decoder.decode(model.subarray(ks, ke));
      else if (f === VALUE) value = decoder.decode(model.subarray(ks, ke));
    });
    props[key] = value;
  });
  return props;
}
