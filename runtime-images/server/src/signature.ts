// A model's signature: what the server validates requests against and what labels its drift
// metrics. Names, datatypes and ranks come from ONNX Runtime itself; feature names, class
// labels, categorical flags and NaN policy from signature.json beside the model or, failing
// that, the `modelops.signature` entry of the ONNX metadata.

import { isDatatype, datatypeOfOrt, type Datatype } from './tensor.ts';

export interface TensorSpec {
  name: string;
  datatype: Datatype;
  /** -1 is any size; dimension 0 is the batch dimension when it is -1. */
  shape: number[];
  /** One name per column of the last dimension (or one name for a [-1] / [-1,1] tensor). */
  features?: string[];
  categorical?: boolean;
  allowNaN?: boolean;
  classLabels?: string[];
}

export interface Signature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /**
   * The column the model was trained to predict (the trainer's `target.name`): the reference
   * profile's column whose edges bin scalar predictions, when the profile names no target.
   */
  target?: string;
}

export const SIGNATURE_METADATA_KEY = 'modelops.signature';

export class SignatureError extends Error {
  override name = 'SignatureError';
}

interface OrtValueMetadata {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: ReadonlyArray<number | string>;
}

/** The signature ONNX Runtime reports: symbolic dimensions become -1. */
export function signatureFromSession(inputs: readonly OrtValueMetadata[], outputs: readonly OrtValueMetadata[]): Signature {
  const spec = (m: OrtValueMetadata): TensorSpec => {
    if (!m.isTensor || m.type === undefined) throw new SignatureError(`"${m.name}" is not a tensor; only tensor inputs and outputs are served`);
    const datatype = datatypeOfOrt(m.type);
    if (datatype === undefined) throw new SignatureError(`"${m.name}" has ONNX type ${m.type}, which this server does not serve`);
    return { name: m.name, datatype, shape: (m.shape ?? []).map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) };
  };
  return { inputs: inputs.map(spec), outputs: outputs.map(spec) };
}

function parseSpec(raw: unknown, where: string): TensorSpec {
  if (typeof raw !== 'object' || raw === null) throw new SignatureError(`${where} must be an object`);
  const r = raw as Record<string, unknown>;
  if (typeof r.name !== 'string') throw new SignatureError(`${where}.name must be a string`);
  if (!isDatatype(r.datatype)) throw new SignatureError(`${where}.datatype must be one of the protocol datatypes (FP32, INT64, ...)`);
  if (!Array.isArray(r.shape) || !r.shape.every((d) => Number.isInteger(d) && d >= -1)) {
    throw new SignatureError(`${where}.shape must be an array of integers (-1 for any size)`);
  }
  const strings = (k: string): string[] | undefined => {
    const v = r[k];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw new SignatureError(`${where}.${k} must be an array of strings`);
    return v as string[];
  };
  const spec: TensorSpec = { name: r.name, datatype: r.datatype, shape: r.shape as number[] };
  const features = strings('features');
  if (features) spec.features = features;
  const classLabels = strings('classLabels');
  if (classLabels) spec.classLabels = classLabels;
  if (r.categorical !== undefined) spec.categorical = r.categorical === true;
  if (r.allowNaN !== undefined) spec.allowNaN = r.allowNaN === true;
  return spec;
}

/**
 * One tensor of the trainer's own signature.json (docs/contracts.md): `dtype` in ONNX Runtime's
 * names (`float32`, `string`, ...), one input per Dataset column with shape [-1, 1], `missing`
 * "NaN" where a float column may be missing, `columnType` the column's schema type; the class
 * labels are top-level (`classLabels`, in the order of the probabilities) and belong to the
 * `label` output, whose values are those labels as text. Rewritten into this server's form.
 */
function fromTrainerSpec(r: Record<string, unknown>, where: string, kind: 'inputs' | 'outputs', classLabels: unknown): Record<string, unknown> {
  const datatype = typeof r.dtype === 'string' ? datatypeOfOrt(r.dtype) : undefined;
  if (datatype === undefined) throw new SignatureError(`${where}.dtype must be an ONNX element type (float32, int64, string, ...)`);
  const spec: Record<string, unknown> = { name: r.name, datatype, shape: r.shape };
  if (kind === 'inputs') {
    // One column per input: the input's name is the column's (and the feature's) name.
    if (Array.isArray(r.shape) && r.shape.length <= 2 && (r.shape.length < 2 || r.shape[1] === 1 || r.shape[1] === -1)) spec.features = [r.name];
    if (r.missing === 'NaN') spec.allowNaN = true;
    if (r.columnType === 'category' || r.columnType === 'string') spec.categorical = true;
  } else if (r.name === 'label' && classLabels !== undefined && classLabels !== null) {
    spec.classLabels = classLabels;
  }
  return spec;
}

export function parseSignature(json: unknown, where = 'signature'): Signature {
  if (typeof json !== 'object' || json === null) throw new SignatureError(`${where} must be a JSON object`);
  const j = json as Record<string, unknown>;
  if (!Array.isArray(j.inputs) || !Array.isArray(j.outputs)) throw new SignatureError(`${where} needs "inputs" and "outputs" arrays`);
  // Each tensor in either form: this server's (`datatype`) or the trainer's (`dtype`).
  const spec = (x: unknown, w: string, kind: 'inputs' | 'outputs'): TensorSpec => {
    const r = x as Record<string, unknown> | null;
    const trainer = typeof r === 'object' && r !== null && r.datatype === undefined && r.dtype !== undefined;
    return parseSpec(trainer ? fromTrainerSpec(r, w, kind, j.classLabels) : x, w);
  };
  const target = typeof j.target === 'string' ? j.target : (j.target as { name?: unknown } | null | undefined)?.name;
  return {
    inputs: j.inputs.map((x, i) => spec(x, `${where}.inputs[${i}]`, 'inputs')),
    outputs: j.outputs.map((x, i) => spec(x, `${where}.outputs[${i}]`, 'outputs')),
    ...(typeof target === 'string' && target !== '' ? { target } : {}),
  };
}

/**
 * Lays the declared signature over the one ONNX Runtime reports. Names and datatypes must agree
 * (a disagreement means the signature belongs to another model: refuse to serve); declared
 * concrete dimensions may narrow symbolic ones.
 */
export function mergeSignature(session: Signature, declared: Signature | undefined, where: string): Signature {
  if (declared === undefined) return session;
  const merge = (actual: TensorSpec[], decl: TensorSpec[], kind: string): TensorSpec[] => {
    const byName = new Map(decl.map((d) => [d.name, d]));
    const names = actual.map((a) => a.name).sort().join(', ');
    const declNames = decl.map((d) => d.name).sort().join(', ');
    if (names !== declNames) throw new SignatureError(`${where} declares ${kind} [${declNames}] but the model has [${names}]`);
    return actual.map((a) => {
      const d = byName.get(a.name) as TensorSpec;
      if (d.datatype !== a.datatype) throw new SignatureError(`${where}: ${kind} "${a.name}" is declared ${d.datatype} but the model has ${a.datatype}`);
      if (d.shape.length !== a.shape.length) {
        throw new SignatureError(`${where}: ${kind} "${a.name}" is declared with shape [${d.shape.join(',')}] but the model has rank ${a.shape.length}`);
      }
      const shape = a.shape.map((dim, i) => {
        const dd = d.shape[i] ?? -1;
        if (dim >= 0 && dd >= 0 && dim !== dd) {
          throw new SignatureError(`${where}: ${kind} "${a.name}" dimension ${i} is declared ${dd} but the model has ${dim}`);
        }
        return dim >= 0 ? dim : dd;
      });
      const columns = shape.length === 0 ? 1 : shape.length === 1 ? 1 : (shape[shape.length - 1] ?? -1);
      if (d.features && columns >= 0 && d.features.length !== columns) {
        throw new SignatureError(`${where}: ${kind} "${a.name}" names ${d.features.length} features but has ${columns} columns`);
      }
      return { ...d, shape };
    });
  };
  return {
    inputs: merge(session.inputs, declared.inputs, 'inputs'),
    outputs: merge(session.outputs, declared.outputs, 'outputs'),
    ...(declared.target !== undefined ? { target: declared.target } : {}),
  };
}

/** Batching needs a dynamic leading dimension on every input and output. */
export function isBatchable(sig: Signature): boolean {
  return [...sig.inputs, ...sig.outputs].every((t) => t.shape.length >= 1 && t.shape[0] === -1);
}

/** Protocol metadata for `GET /v2/models/{name}`. */
export function tensorMetadata(t: TensorSpec): { name: string; datatype: Datatype; shape: number[] } {
  return { name: t.name, datatype: t.datatype, shape: t.shape };
}
