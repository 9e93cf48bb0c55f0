// Tensors as they travel between HTTP, the batcher and the ONNX Runtime workers: the Open
// Inference Protocol datatype names, their ONNX Runtime names and typed-array storage.

export type Datatype =
  | 'BOOL' | 'UINT8' | 'UINT16' | 'UINT32' | 'UINT64'
  | 'INT8' | 'INT16' | 'INT32' | 'INT64' | 'FP32' | 'FP64' | 'BYTES';

export type OrtType =
  | 'bool' | 'uint8' | 'uint16' | 'uint32' | 'uint64'
  | 'int8' | 'int16' | 'int32' | 'int64' | 'float32' | 'float64' | 'string';

export type TensorData =
  | Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array | string[];

export interface Tensor {
  datatype: Datatype;
  shape: number[];
  data: TensorData;
}

interface DatatypeInfo {
  ort: OrtType;
  bytes: number; // 0: variable length (BYTES)
  make: (n: number) => TensorData;
  fromBuffer: ((buf: ArrayBuffer, offset: number, n: number) => TensorData) | undefined;
}

export const DATATYPES: Record<Datatype, DatatypeInfo> = {
  BOOL: { ort: 'bool', bytes: 1, make: (n) => new Uint8Array(n), fromBuffer: (b, o, n) => new Uint8Array(b, o, n) },
  UINT8: { ort: 'uint8', bytes: 1, make: (n) => new Uint8Array(n), fromBuffer: (b, o, n) => new Uint8Array(b, o, n) },
  UINT16: { ort: 'uint16', bytes: 2, make: (n) => new Uint16Array(n), fromBuffer: (b, o, n) => new Uint16Array(b, o, n) },
  UINT32: { ort: 'uint32', bytes: 4, make: (n) => new Uint32Array(n), fromBuffer: (b, o, n) => new Uint32Array(b, o, n) },
  UINT64: { ort: 'uint64', bytes: 8, make: (n) => new BigUint64Array(n), fromBuffer: (b, o, n) => new BigUint64Array(b, o, n) },
  INT8: { ort: 'int8', bytes: 1, make: (n) => new Int8Array(n), fromBuffer: (b, o, n) => new Int8Array(b, o, n) },
  INT16: { ort: 'int16', bytes: 2, make: (n) => new Int16Array(n), fromBuffer: (b, o, n) => new Int16Array(b, o, n) },
  INT32: { ort: 'int32', bytes: 4, make: (n) => new Int32Array(n), fromBuffer: (b, o, n) => new Int32Array(b, o, n) },
  INT64: { ort: 'int64', bytes: 8, make: (n) => new BigInt64Array(n), fromBuffer: (b, o, n) => new BigInt64Array(b, o, n) },
  FP32: { ort: 'float32', bytes: 4, make: (n) => new Float32Array(n), fromBuffer: (b, o, n) => new Float32Array(b, o, n) },
  FP64: { ort: 'float64', bytes: 8, make: (n) => new Float64Array(n), fromBuffer: (b, o, n) => new Float64Array(b, o, n) },
  BYTES: { ort: 'string', bytes: 0, make: (n) => new Array<string>(n).fill(''), fromBuffer: undefined },
};

const BY_ORT = new Map<string, Datatype>(
  Object.entries(DATATYPES).map(([dt, info]) => [info.ort, dt as Datatype]),
);

export function isDatatype(s: unknown): s is Datatype {
  return typeof s === 'string' && Object.hasOwn(DATATYPES, s);
}

export function datatypeOfOrt(ort: string): Datatype | undefined {
  return BY_ORT.get(ort);
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Integer range per datatype, for JSON validation (64-bit ints are limited to safe integers). */
export const INT_RANGE: Partial<Record<Datatype, readonly [number, number]>> = {
  BOOL: [0, 1],
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/** A typed array that owns its whole buffer can be transferred to a worker without copying. */
export function ownsBuffer(data: TensorData): boolean {
  return !Array.isArray(data) && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
}

/** Plain JS values for JSON output (64-bit ints become numbers, BOOL becomes booleans). */
export function toJsonArray(datatype: Datatype, data: TensorData): unknown[] {
  if (Array.isArray(data)) return data;
  if (datatype === 'BOOL') return Array.from(data as Uint8Array, (v) => v !== 0);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Array.from(data, Number);
  return Array.from(data as Float32Array);
}

/** Element `i` as a number (for metrics), whatever the storage. */
export function numberAt(data: TensorData, i: number): number {
  const v = data[i];
  return typeof v === 'bigint' ? Number(v) : typeof v === 'string' ? Number.NaN : (v as number);
}
