// Decoding and encoding of the Open Inference Protocol (KServe V2) REST bodies, JSON and the
// binary tensor data extension, and of KServe V1 `instances`/`predictions`. Every request is
// checked against the signature here, so nothing malformed ever reaches a worker.

import { serverError } from './errors.ts';
import {
  DATATYPES, INT_RANGE, elementCount, toJsonArray,
  type Datatype, type Tensor, type TensorData,
} from './tensor.ts';
import type { Signature, TensorSpec } from './signature.ts';

export const HEADER_LENGTH = 'inference-header-content-length';

export interface InferRequest {
  id: string | undefined;
  inputs: Map<string, Tensor>;
  /** Rows along the batch dimension (1 when the model has no batch dimension). */
  rows: number;
  /** Requested outputs, in order, each with whether it must come back as binary data. */
  outputs: { name: string; binary: boolean }[];
}

export interface Limits {
  maxRequestRows: number;
}

function describeSpec(t: TensorSpec): string {
  return `${t.name} (${t.datatype} [${t.shape.join(',')}])`;
}

function describeInputs(sig: Signature): string {
  return sig.inputs.map(describeSpec).join(', ');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkShape(spec: TensorSpec, shape: number[]): void {
  const ok = shape.length === spec.shape.length && spec.shape.every((d, i) => d === -1 || d === shape[i]);
  if (!ok) throw serverError('SHAPE_MISMATCH', spec.name, `[${shape.join(',')}]`, `[${spec.shape.join(',')}]`);
}

/** Copies JSON `data` (flat or nested, row-major) into storage of the input's datatype. */
export function jsonToData(spec: TensorSpec, data: unknown, n: number): TensorData {
  if (!Array.isArray(data)) throw serverError('INVALID_REQUEST', `input "${spec.name}" needs a "data" array or binary_data_size`);
  const dt = spec.datatype;
  const out = DATATYPES[dt].make(n);
  let i = 0;
  const range = INT_RANGE[dt];
  const isFloat = dt === 'FP32' || dt === 'FP64';
  const allowNaN = spec.allowNaN === true;
  const bad = (idx: number, expected: string): never => {
    throw serverError('INVALID_VALUE', spec.name, String(idx), expected);
  };
  const put = (v: unknown): void => {
    if (i >= n) throw serverError('DATA_SIZE_MISMATCH', spec.name, `more than ${n}`, String(n));
    if (isFloat) {
      if (typeof v === 'number') {
        (out as Float32Array)[i] = v;
      } else if (v === null || v === 'NaN') {
        if (!allowNaN) throw serverError('NAN_NOT_ALLOWED', spec.name, String(i));
        (out as Float32Array)[i] = Number.NaN;
      } else {
        bad(i, 'a number');
      }
    } else if (dt === 'BYTES') {
      if (typeof v !== 'string') bad(i, 'a string');
      (out as string[])[i] = v as string;
    } else if (dt === 'BOOL') {
      if (v === true || v === 1) (out as Uint8Array)[i] = 1;
      else if (v === false || v === 0) (out as Uint8Array)[i] = 0;
      else bad(i, 'a boolean');
    } else {
      const [lo, hi] = range as readonly [number, number];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) bad(i, `an integer in [${lo}, ${hi}]`);
      if (dt === 'INT64') (out as BigInt64Array)[i] = BigInt(v as number);
      else if (dt === 'UINT64') (out as BigUint64Array)[i] = BigInt(v as number);
      else (out as Int32Array)[i] = v as number;
    }
    i++;
  };
  const walk = (arr: unknown[]): void => {
    for (const v of arr) {
      if (Array.isArray(v)) walk(v);
      else put(v);
    }
  };
  walk(data);
  if (i !== n) throw serverError('DATA_SIZE_MISMATCH', spec.name, String(i), String(n));
  return out;
}

/** Rejects NaN and infinities in float inputs that do not allow missing values. */
function checkFinite(spec: TensorSpec, data: TensorData): void {
  if (spec.allowNaN === true || (spec.datatype !== 'FP32' && spec.datatype !== 'FP64')) return;
  const f = data as Float32Array;
  for (let i = 0; i < f.length; i++) {
    if (!Number.isFinite(f[i] as number)) throw serverError('NAN_NOT_ALLOWED', spec.name, String(i));
  }
}

function binaryToData(spec: TensorSpec, bin: Buffer, n: number): TensorData {
  const dt = spec.datatype;
  const info = DATATYPES[dt];
  if (dt === 'BYTES') {
    const out: string[] = [];
    let pos = 0;
    while (pos < bin.length) {
      if (pos + 4 > bin.length) throw serverError('INVALID_BINARY_HEADER', `input "${spec.name}": truncated BYTES length prefix`);
      const len = bin.readUInt32LE(pos);
      pos += 4;
      if (pos + len > bin.length) throw serverError('INVALID_BINARY_HEADER', `input "${spec.name}": BYTES element longer than its data`);
      out.push(bin.toString('utf8', pos, pos + len));
      pos += len;
    }
    if (out.length !== n) throw serverError('DATA_SIZE_MISMATCH', spec.name, String(out.length), String(n));
    return out;
  }
  if (bin.length !== n * info.bytes) {
    throw serverError('DATA_SIZE_MISMATCH', spec.name, `${bin.length} bytes`, `${n * info.bytes} bytes (${n} x ${dt})`);
  }
  // Copy into a fresh, aligned buffer that the worker can take over without another copy.
  const out = info.make(n) as Uint8Array;
  new Uint8Array(out.buffer).set(bin);
  if (dt === 'BOOL') {
    for (let i = 0; i < n; i++) if ((out[i] as number) > 1) throw serverError('INVALID_VALUE', spec.name, String(i), 'a boolean (0 or 1)');
  }
  return out;
}

function parseJson(buf: Buffer): unknown {
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw serverError('INVALID_JSON', (err as Error).message);
  }
}

/** Parses a V2 infer body: JSON, or JSON header + binary tensors when headerLength is given. */
export function decodeV2(body: Buffer, headerLength: number | undefined, sig: Signature, limits: Limits): InferRequest {
  let header: unknown;
  let binary: Buffer | undefined;
  if (headerLength === undefined) {
    header = parseJson(body);
  } else {
    if (!Number.isInteger(headerLength) || headerLength < 0 || headerLength > body.length) {
      throw serverError('INVALID_BINARY_HEADER', `Inference-Header-Content-Length ${headerLength} does not fit a body of ${body.length} bytes`);
    }
    header = parseJson(body.subarray(0, headerLength));
    binary = body.subarray(headerLength);
  }
  if (!isObject(header)) throw serverError('INVALID_REQUEST', 'the body must be a JSON object with an "inputs" array');
  if (!Array.isArray(header.inputs)) throw serverError('INVALID_REQUEST', `"inputs" must be an array; the model expects ${describeInputs(sig)}`);
  const id = header.id === undefined ? undefined : String(header.id);

  const specs = new Map(sig.inputs.map((s) => [s.name, s]));
  const inputs = new Map<string, Tensor>();
  let binPos = 0;
  let rows: number | undefined;
  for (const raw of header.inputs as unknown[]) {
    if (!isObject(raw) || typeof raw.name !== 'string') throw serverError('INVALID_REQUEST', 'each input needs a "name"');
    const spec = specs.get(raw.name);
    if (spec === undefined) throw serverError('INPUT_UNKNOWN', raw.name, describeInputs(sig));
    if (inputs.has(raw.name)) throw serverError('INPUT_DUPLICATE', raw.name);
    if (raw.datatype !== spec.datatype) throw serverError('DATATYPE_MISMATCH', spec.name, String(raw.datatype), spec.datatype);
    const shape = raw.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw serverError('INVALID_REQUEST', `input "${spec.name}" needs a "shape" of non-negative integers`);
    }
    checkShape(spec, shape as number[]);
    if (spec.shape[0] === -1 && (shape[0] as number) > limits.maxRequestRows) {
      throw serverError('BATCH_TOO_LARGE', String(shape[0]), String(limits.maxRequestRows));
    }
    const n = elementCount(shape as number[]);
    // Every element takes at least one byte of the body: refuse before allocating for a shape
    // that the body cannot fill (a [1e9, 4] shape must not cost 16 GB).
    if (n > body.length) throw serverError('DATA_SIZE_MISMATCH', spec.name, `at most ${body.length} (the body's size in bytes)`, String(n));
    const params = isObject(raw.parameters) ? raw.parameters : undefined;
    let data: TensorData;
    if (params?.binary_data_size !== undefined) {
      const size = params.binary_data_size;
      if (binary === undefined) throw serverError('INVALID_BINARY_HEADER', `input "${spec.name}" has binary_data_size but the request has no Inference-Header-Content-Length header`);
      if (!Number.isInteger(size) || (size as number) < 0 || binPos + (size as number) > binary.length) {
        throw serverError('INVALID_BINARY_HEADER', `input "${spec.name}" binary_data_size ${String(size)} runs past the end of the body`);
      }
      data = binaryToData(spec, binary.subarray(binPos, binPos + (size as number)), n);
      binPos += size as number;
    } else {
      data = jsonToData(spec, raw.data, n);
    }
    checkFinite(spec, data);
    if (spec.shape.length > 0 && spec.shape[0] === -1) {
      const r = (shape as number[])[0] as number;
      if (rows !== undefined && r !== rows) {
        throw serverError('SHAPE_MISMATCH', spec.name, `[${shape.join(',')}]`, `batch dimension ${rows} like the other inputs`);
      }
      rows = r;
    }
    inputs.set(spec.name, { datatype: spec.datatype, shape: shape as number[], data });
  }
  if (binary !== undefined && binPos !== binary.length) {
    throw serverError('INVALID_BINARY_HEADER', `${binary.length - binPos} byte(s) of binary data are not claimed by any input's binary_data_size`);
  }
  const missing = sig.inputs.filter((s) => !inputs.has(s.name));
  if (missing.length > 0) throw serverError('INPUT_MISSING', missing.map((s) => s.name).join(', '), describeInputs(sig));
  const r = rows ?? 1;
  if (r > limits.maxRequestRows) throw serverError('BATCH_TOO_LARGE', String(r), String(limits.maxRequestRows));

  const reqParams = isObject(header.parameters) ? header.parameters : undefined;
  const binaryDefault = reqParams?.binary_data_output === true;
  let outputs: { name: string; binary: boolean }[];
  if (header.outputs === undefined) {
    outputs = sig.outputs.map((o) => ({ name: o.name, binary: binaryDefault }));
  } else {
    if (!Array.isArray(header.outputs)) throw serverError('INVALID_REQUEST', '"outputs" must be an array');
    const known = new Set(sig.outputs.map((o) => o.name));
    outputs = (header.outputs as unknown[]).map((o) => {
      if (!isObject(o) || typeof o.name !== 'string') throw serverError('INVALID_REQUEST', 'each requested output needs a "name"');
      if (!known.has(o.name)) throw serverError('OUTPUT_UNKNOWN', o.name, sig.outputs.map((x) => x.name).join(', '));
      const p = isObject(o.parameters) ? o.parameters : undefined;
      return { name: o.name, binary: p?.binary_data === undefined ? binaryDefault : p.binary_data === true };
    });
  }
  return { id, inputs, rows: r, outputs };
}

export interface EncodedResponse {
  body: Buffer | string;
  headerLength: number | undefined;
}

/** Encodes a V2 infer response; binary outputs go after the JSON header. */
export function encodeV2(
  modelName: string, modelVersion: string, req: InferRequest, outputs: Map<string, Tensor>,
): EncodedResponse {
  const chunks: Buffer[] = [];
  const jsonOutputs = req.outputs.map(({ name, binary }) => {
    const t = outputs.get(name) as Tensor;
    if (!binary) return { name, datatype: t.datatype, shape: t.shape, data: toJsonArray(t.datatype, t.data) };
    const chunk = tensorBytes(t);
    chunks.push(chunk);
    return { name, datatype: t.datatype, shape: t.shape, parameters: { binary_data_size: chunk.length } };
  });
  const header: Record<string, unknown> = { model_name: modelName, model_version: modelVersion };
  if (req.id !== undefined) header.id = req.id;
  header.outputs = jsonOutputs;
  const json = JSON.stringify(header);
  if (chunks.length === 0) return { body: json, headerLength: undefined };
  const head = Buffer.from(json, 'utf8');
  return { body: Buffer.concat([head, ...chunks]), headerLength: head.length };
}

function tensorBytes(t: Tensor): Buffer {
  if (Array.isArray(t.data)) {
    const parts: Buffer[] = [];
    for (const s of t.data) {
      const b = Buffer.from(s, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32LE(b.length);
      parts.push(len, b);
    }
    return Buffer.concat(parts);
  }
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

// ---- KServe V1 ----------------------------------------------------------------------------

/** Infers the shape of nested JSON arrays from their first elements. */
function nestedShape(v: unknown): number[] {
  const shape: number[] = [];
  let cur = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

/** The value of one input in one V1 instance: by input name, or assembled from feature names. */
function instanceValue(spec: TensorSpec, inst: unknown, index: number, single: boolean, sig: Signature): unknown {
  if (isObject(inst)) {
    if (Object.hasOwn(inst, spec.name)) return inst[spec.name];
    const f = spec.features;
    if (f && f.every((name) => Object.hasOwn(inst, name))) {
      const row = f.map((name) => inst[name]);
      return spec.shape.length === 1 ? row[0] : row;
    }
    throw serverError('INPUT_MISSING', `${spec.name}${f ? ` (or features ${f.join(', ')})` : ''} in instance ${index}`, describeInputs(sig));
  }
  if (!single) throw serverError('INVALID_REQUEST', `instance ${index} must be an object keyed by input name: the model has several inputs, ${describeInputs(sig)}`);
  return inst;
}

export function decodeV1(body: Buffer, sig: Signature, limits: Limits): InferRequest {
  const json = parseJson(body);
  if (!isObject(json) || !Array.isArray(json.instances)) throw serverError('INVALID_REQUEST', 'the body must be {"instances": [...]}');
  const instances = json.instances as unknown[];
  if (instances.length === 0) throw serverError('INVALID_REQUEST', '"instances" is empty');
  if (instances.length > limits.maxRequestRows) throw serverError('BATCH_TOO_LARGE', String(instances.length), String(limits.maxRequestRows));
  const batched = sig.inputs.every((s) => s.shape[0] === -1);
  if (!batched) throw serverError('INVALID_REQUEST', 'the V1 protocol needs a model whose inputs have a dynamic batch dimension; use /v2');
  const single = sig.inputs.length === 1;
  const inputs = new Map<string, Tensor>();
  for (const spec of sig.inputs) {
    let values = instances.map((inst, i) => instanceValue(spec, inst, i, single, sig));
    // A [-1, 1] input may be given as a scalar per instance.
    if (spec.shape.length === 2 && spec.shape[1] === 1) values = values.map((v) => (Array.isArray(v) ? v : [v]));
    const shape = nestedShape(values);
    if (shape.length !== spec.shape.length) {
      throw serverError('SHAPE_MISMATCH', spec.name, `[${shape.join(',')}] (from instances)`, `[${spec.shape.join(',')}]`);
    }
    checkShape(spec, shape);
    const data = jsonToData(spec, values, elementCount(shape));
    inputs.set(spec.name, { datatype: spec.datatype, shape, data });
  }
  return { id: undefined, inputs, rows: instances.length, outputs: sig.outputs.map((o) => ({ name: o.name, binary: false })) };
}

function nest(values: unknown[], shape: readonly number[], offset: number): unknown {
  if (shape.length === 0) return values[offset];
  const [d, ...rest] = shape as [number, ...number[]];
  const stride = elementCount(rest);
  const out: unknown[] = new Array(d);
  for (let i = 0; i < d; i++) out[i] = nest(values, rest, offset + i * stride);
  return out;
}

/** V1 `predictions`: one entry per row; an object per row when the model has several outputs. */
export function encodeV1(sig: Signature, outputs: Map<string, Tensor>, rows: number): { predictions: unknown[] } {
  const perOutput = sig.outputs.map((spec) => {
    const t = outputs.get(spec.name) as Tensor;
    const values = toJsonArray(t.datatype, t.data);
    const rowShape = t.shape.slice(1);
    const stride = elementCount(rowShape);
    return { name: spec.name, values, rowShape, stride };
  });
  const predictions: unknown[] = new Array(rows);
  for (let r = 0; r < rows; r++) {
    if (perOutput.length === 1) {
      const o = perOutput[0] as (typeof perOutput)[number];
      predictions[r] = nest(o.values, o.rowShape, r * o.stride);
    } else {
      const row: Record<string, unknown> = {};
      for (const o of perOutput) row[o.name] = nest(o.values, o.rowShape, r * o.stride);
      predictions[r] = row;
    }
  }
  return { predictions };
}

export type { Datatype };
