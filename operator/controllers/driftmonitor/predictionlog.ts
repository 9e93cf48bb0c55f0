// The sampled prediction log as drift input: which column of which input tensor carries each
// watched feature, which output carries the predicted class, and how the log's JSON lines
// become exact live samples (numeric values, category counts, predicted classes) for one
// served model version and one window. Pure; logreader.ts fetches the lines.
import type { ModelSignature } from '../../api/v1alpha1/types.ts';
import { OTHER } from '../../data/profile.ts';

/** Where a feature's values are in a record: column `column` of input `input` (row-major, `shape`'s last dimension is the row width). */
export interface FeatureSlot {
  feature: string;
  input: string;
  column: number;
  /** The input's datatype as the signature declares it (FP32 inputs hold float32 values). */
  datatype: string | undefined;
}

/** The output whose values are predicted classes: indices into `labels`, or the labels themselves (BYTES). */
export interface ClassOutput {
  output: string;
  labels: string[];
}

/** What the log says about the model's tensors, from signature.json and the ModelVersion. */
export interface LogLayout {
  slots: Map<string, FeatureSlot>;
  classOutput: ClassOutput | undefined;
}

interface FileTensor {
  name?: unknown;
  datatype?: unknown;
  dtype?: unknown;
  shape?: unknown;
  features?: unknown;
  classLabels?: unknown;
}

const strings = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : undefined);

/**
 * The feature columns and class output, as the server itself reads them: signature.json beside
 * the model (the server's form: `features` per input, `classLabels` per output; or the
 * trainer's: one column per input named by it, top-level `classLabels` for the `label`
 * output), else the ModelVersion's signature (`feature` per one-column input, `classLabels` for
 * `label`), else an input named as the feature.
 */
export function logLayout(features: readonly string[], signature: ModelSignature | undefined, file: unknown): LogLayout {
  const slots = new Map<string, FeatureSlot>();
  let classOutput: ClassOutput | undefined;
  const declared = new Map((signature?.inputs ?? []).map((t) => [t.name, t.datatype as string]));
  const f = typeof file === 'object' && file !== null ? (file as { inputs?: unknown; outputs?: unknown; classLabels?: unknown }) : undefined;
  if (f && Array.isArray(f.inputs)) {
    for (const t of f.inputs as FileTensor[]) {
      if (typeof t?.name !== 'string') continue;
      const trainer = t.datatype === undefined && t.dtype !== undefined;
      const names = trainer ? [t.name] : (strings(t.features) ?? []);
      const datatype = declared.get(t.name) ?? (typeof t.datatype === 'string' ? t.datatype : t.dtype === 'float32' ? 'FP32' : undefined);
      names.forEach((feature, column) => {
        if (!slots.has(feature)) slots.set(feature, { feature, input: t.name as string, column, datatype });
      });
    }
  }
  if (f && Array.isArray(f.outputs)) {
    const topLabels = strings(f.classLabels);
    for (const t of f.outputs as FileTensor[]) {
      if (typeof t?.name !== 'string') continue;
      const labels = strings(t.classLabels) ?? (t.name === 'label' ? topLabels : undefined);
      if (labels && !classOutput) classOutput = { output: t.name, labels };
    }
  }
  for (const t of signature?.inputs ?? []) {
    if (t.feature && !slots.has(t.feature)) slots.set(t.feature, { feature: t.feature, input: t.name, column: 0, datatype: t.datatype });
  }
  if (!classOutput && signature?.classLabels?.length && signature.outputs.some((o) => o.name === 'label')) {
    classOutput = { output: 'label', labels: signature.classLabels };
  }
  for (const feature of features) {
    if (!slots.has(feature) && declared.has(feature)) slots.set(feature, { feature, input: feature, column: 0, datatype: declared.get(feature) });
  }
  return { slots, classOutput };
}

interface Tensor {
  shape: number[];
  data: unknown[];
}

/** One parsed line: the fields drift reads. */
export interface LogRecord {
  timeMs: number;
  model: string;
  version: string;
  inputs: Record<string, Tensor>;
  outputs: Record<string, Tensor>;
}

function tensors(v: unknown, what: string): Record<string, Tensor> | string {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return `"${what}" is not an object`;
  const out: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(v as Record<string, unknown>)) {
    const shape = (t as { shape?: unknown })?.shape;
    const data = (t as { data?: unknown })?.data;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) return `${what}.${name}.shape is not a list of sizes`;
    if (!Array.isArray(data)) return `${what}.${name}.data is not a list`;
    const width = rowWidth(shape as number[]);
    if (width === 0 ? data.length !== 0 : data.length % width !== 0) return `${what}.${name} has ${data.length} values, not whole rows of shape [${shape.join(',')}]`;
    out[name] = { shape: shape as number[], data };
  }
  return out;
}

/** Values per row: the last dimension of a matrix, 1 for a vector or scalar (the server's rule). */
function rowWidth(shape: readonly number[]): number {
  return shape.length <= 1 ? 1 : shape[shape.length - 1]!;
}

/** A line as a record, or why it is not one (a precise, short reason). */
export function parseLine(line: string): LogRecord | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (err) {
    return `not JSON (${(err as Error).message.slice(0, 120)})`;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a JSON object';
  const r = v as Record<string, unknown>;
  if (typeof r.time !== 'string') return 'no "time"';
  const timeMs = Date.parse(r.time);
  if (!Number.isFinite(timeMs)) return `"time" ${JSON.stringify(r.time.slice(0, 40))} is not a timestamp`;
  if (typeof r.model !== 'string' || (typeof r.version !== 'string' && typeof r.version !== 'number')) return 'no "model" or "version"';
  const inputs = tensors(r.inputs, 'inputs');
  if (typeof inputs === 'string') return inputs;
  if (r.inputs === undefined) return 'no "inputs"';
  const outputs = tensors(r.outputs, 'outputs');
  if (typeof outputs === 'string') return outputs;
  return { timeMs, model: r.model, version: String(r.version), inputs, outputs };
}

/** Which records count: the served model version's, inside the window [fromMs, toMs]. */
export interface LogScope {
  model: string;
  version: string;
  fromMs: number;
  toMs: number;
}

/** Live samples from the log, per feature and for the predicted classes. */
export interface LogSamples {
  numeric: Map<string, number[]>;
  categorical: Map<string, Map<string, number>>;
  /** Predicted classes; undefined without a class output. */
  predictions: Map<string, number> | undefined;
  /** Lines that were records of the scope (served version, in the window), and the rows they held. */
  records: number;
  rows: number;
  /** Lines read (non-empty), and those skipped as not a valid record. */
  lines: number;
  skipped: number;
  /** The first few skipped lines: where and why. */
  skippedAt: string[];
  /** Valid records outside the scope: another model version, or outside the window. */
  otherVersion: number;
  outsideWindow: number;
}

/** How many skipped lines are named in messages. */
export const SKIPPED_NAMED = 3;

/**
 * Accumulates lines into samples. Numeric values are taken as numbers (null, NaN and text are
 * missing, as the server's metrics count them); categorical ones by their text. Records are
 * sets of rows, so the order in which lines arrive does not matter.
 */
export class LogAccumulator {
  readonly samples: LogSamples;
  readonly #scope: LogScope;
  readonly #numeric: FeatureSlot[] = [];
  readonly #categorical: FeatureSlot[] = [];
  readonly #classOutput: ClassOutput | undefined;

  constructor(scope: LogScope, layout: LogLayout, categorical: ReadonlySet<string>) {
    this.#scope = scope;
    this.#classOutput = layout.classOutput;
    const numeric = new Map<string, number[]>();
    const cats = new Map<string, Map<string, number>>();
    for (const slot of layout.slots.values()) {
      if (categorical.has(slot.feature)) {
        this.#categorical.push(slot);
        cats.set(slot.feature, new Map());
      } else {
        this.#numeric.push(slot);
        numeric.set(slot.feature, []);
      }
    }
    this.samples = { numeric, categorical: cats, predictions: layout.classOutput ? new Map() : undefined, records: 0, rows: 0, lines: 0, skipped: 0, skippedAt: [], otherVersion: 0, outsideWindow: 0 };
  }

  /** One line of the log; `where` names it in messages (object and line number). */
  add(line: string, where: string): void {
    if (line.trim() === '') return;
    const s = this.samples;
    s.lines++;
    const r = parseLine(line);
    if (typeof r === 'string') {
      s.skipped++;
      if (s.skippedAt.length < SKIPPED_NAMED) s.skippedAt.push(`${where}: ${r}`);
      return;
    }
    if (r.model !== this.#scope.model || r.version !== this.#scope.version) {
      s.otherVersion++;
      return;
    }
    if (r.timeMs < this.#scope.fromMs || r.timeMs > this.#scope.toMs) {
      s.outsideWindow++;
      return;
    }
    s.records++;
    let rows = 0;
    for (const slot of this.#numeric) {
      const t = r.inputs[slot.input];
      if (!t) continue;
      const width = rowWidth(t.shape);
      if (slot.column >= width) continue;
      const out = s.numeric.get(slot.feature)!;
      for (let i = slot.column; i < t.data.length; i += width) out.push(numberOf(t.data[i]));
      rows = Math.max(rows, t.data.length / width);
    }
    for (const slot of this.#categorical) {
      const t = r.inputs[slot.input];
      if (!t) continue;
      const width = rowWidth(t.shape);
      if (slot.column >= width) continue;
      const out = s.categorical.get(slot.feature)!;
      for (let i = slot.column; i < t.data.length; i += width) {
        const v = t.data[i];
        if (v === null || v === undefined) continue;
        const key = String(v);
        out.set(key, (out.get(key) ?? 0) + 1);
      }
      rows = Math.max(rows, t.data.length / width);
    }
    s.rows += rows;
    const c = this.#classOutput;
    const t = c ? r.outputs[c.output] : undefined;
    if (c && t) {
      for (const v of t.data) {
        const label = typeof v === 'string' ? (c.labels.includes(v) ? v : OTHER) : typeof v === 'number' && Number.isInteger(v) ? (c.labels[v] ?? OTHER) : OTHER;
        s.predictions!.set(label, (s.predictions!.get(label) ?? 0) + 1);
      }
    }
  }
}

function numberOf(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return Number.NaN;
}

/** One line on the skipped lines, for the status and the Event. */
export function skippedMessage(s: Pick<LogSamples, 'skipped' | 'lines' | 'skippedAt'>): string | undefined {
  if (s.skipped === 0) return undefined;
  const more = s.skipped > s.skippedAt.length ? `; ${s.skipped - s.skippedAt.length} more` : '';
  return `skipped ${s.skipped} of ${s.lines} lines of the prediction log that are not valid prediction records: ${s.skippedAt.join('; ')}${more}`;
}
