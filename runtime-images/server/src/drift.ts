// Live feature and prediction distributions for the DriftMonitor: per-feature histograms whose
// bucket edges come from the training data's reference profile, counters per category, and the
// distribution of predictions. Every label set is bounded by the signature and the profile.

import type { Signature, TensorSpec } from './signature.ts';
import { numberAt, type Tensor } from './tensor.ts';

export const OTHER_CATEGORY = '__other__';
/** Categories seen without a reference list are capped at this many, then fold into __other__. */
export const MAX_UNPROFILED_CATEGORIES = 50;
export const DEFAULT_PREDICTION_BUCKETS = [0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 1, 2.5, 5, 10, 100, 1000];

export interface ProfileColumn {
  type: 'number' | 'category';
  edges?: number[];
  categories?: string[];
}

export interface ReferenceProfile {
  columns: Map<string, ProfileColumn>;
  target: string | undefined;
}

/**
 * A category list entry: a value, or the Dataset profile's `{"value", "count"}`.
 */
function categoryName(v: unknown): string {
  return typeof v === 'object' && v !== null && 'value' in v ? String((v as { value: unknown }).value) : String(v);
}

/**
 * Parses the Dataset profile shape (see docs/contracts-server.md): `columns` keyed by name, or
 * the list of named columns the Dataset ingest writes (`DatasetProfile`, docs/contracts-data.md).
 */
export function parseProfile(json: unknown): ReferenceProfile {
  if (typeof json !== 'object' || json === null || typeof (json as { columns?: unknown }).columns !== 'object' || (json as { columns?: unknown }).columns === null) {
    throw new Error('reference profile must be {"columns": {<name>: {...}}} or {"columns": [{"name": ...}, ...]}');
  }
  const j = json as { columns: Record<string, unknown> | unknown[]; target?: unknown };
  const entries: [string, unknown][] = Array.isArray(j.columns)
    ? j.columns.flatMap((c, i): [string, unknown][] => {
        const name = (c as { name?: unknown } | null)?.name;
        if (typeof name !== 'string') throw new Error(`reference profile columns[${i}] has no name`);
        return [[name, c]];
      })
    : Object.entries(j.columns);
  const columns = new Map<string, ProfileColumn>();
  for (const [name, raw] of entries) {
    const c = raw as Record<string, unknown>;
    if (c.type === 'category' || c.type === 'boolean' || Array.isArray(c.categories)) {
      const cats = Array.isArray(c.categories)
        ? c.categories.map(categoryName)
        : typeof c.categoryCounts === 'object' && c.categoryCounts !== null ? Object.keys(c.categoryCounts) : [];
      columns.set(name, { type: 'category', categories: cats });
      continue;
    }
    let edges: number[] | undefined;
    const hist = c.histogram as { edges?: unknown } | undefined;
    if (Array.isArray(hist?.edges)) edges = hist.edges.map(Number);
    else if (typeof c.quantiles === 'object' && c.quantiles !== null) edges = Object.values(c.quantiles as Record<string, unknown>).map(Number);
    if (edges !== undefined) {
      edges = [...new Set(edges.filter(Number.isFinite))].sort((a, b) => a - b);
      if (edges.length === 0) throw new Error(`reference profile column "${name}" has no finite bucket edges`);
      columns.set(name, { type: 'number', edges });
    }
  }
  return { columns, target: typeof j.target === 'string' ? j.target : undefined };
}

class Hist {
  readonly edges: number[];
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(edges: number[]) {
    this.edges = edges;
    this.counts = new Float64Array(edges.length + 1);
  }
  observe(v: number): void {
    // First edge >= v (buckets are "le"); the last slot is +Inf.
    let lo = 0;
    let hi = this.edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.edges[mid] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    this.counts[lo] = (this.counts[lo] as number) + 1;
    this.sum += v;
    this.count++;
  }
}

class Categories {
  readonly known: Set<string> | undefined;
  readonly counts = new Map<string, number>();
  constructor(known: string[] | undefined) {
    this.known = known === undefined ? undefined : new Set(known);
    for (const k of known ?? []) this.counts.set(k, 0);
  }
  observe(raw: string): void {
    let c = raw;
    if (this.known !== undefined ? !this.known.has(c) : !this.counts.has(c) && this.counts.size >= MAX_UNPROFILED_CATEGORIES) {
      c = OTHER_CATEGORY;
    }
    this.counts.set(c, (this.counts.get(c) ?? 0) + 1);
  }
}

interface FeatureSlot {
  input: string;
  column: number;
  columns: number;
  feature: string;
  hist: Hist | undefined;
  cats: Categories | undefined;
}

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** A prom-client compatible metric whose values come from a callback. */
export interface CustomMetric {
  name: string;
  help: string;
  type: 'histogram' | 'counter';
  aggregator: 'sum';
  get(): { name: string; help: string; type: string; aggregator: 'sum'; values: MetricValue[] };
  reset(): void;
}

function custom(name: string, help: string, type: 'histogram' | 'counter', values: () => MetricValue[]): CustomMetric {
  return {
    name, help, type, aggregator: 'sum',
    get: () => ({ name, help, type, aggregator: 'sum', values: values() }),
    reset: () => {},
  };
}

function histValues(name: string, labels: Record<string, string>, h: Hist, out: MetricValue[]): void {
  let cumulative = 0;
  h.edges.forEach((edge, i) => {
    cumulative += h.counts[i] as number;
    out.push({ labels: { ...labels, le: edge }, value: cumulative, metricName: `${name}_bucket` });
  });
  out.push({ labels: { ...labels, le: '+Inf' }, value: h.count, metricName: `${name}_bucket` });
  out.push({ labels, value: h.sum, metricName: `${name}_sum` });
  out.push({ labels, value: h.count, metricName: `${name}_count` });
}

export class DriftRecorder {
  private readonly features: FeatureSlot[] = [];
  private readonly missing = new Map<string, number>();
  private readonly classOutputs: { output: string; labels: string[]; counts: Map<string, number> }[] = [];
  private readonly valueOutputs: { output: string; hist: Hist }[] = [];
  private readonly base: { model: string; version: string };
  /** Features named by the signature but not in the profile: no histogram (documented). */
  readonly unprofiled: string[] = [];

  constructor(sig: Signature, profile: ReferenceProfile | undefined, model: string, version: string) {
    this.base = { model, version };
    for (const input of sig.inputs) {
      const names = input.features ?? [];
      const columns = input.shape.length <= 1 ? 1 : names.length;
      names.forEach((feature, column) => {
        const col = profile?.columns.get(feature);
        const categorical = input.categorical === true || input.datatype === 'BYTES' || input.datatype === 'BOOL' || col?.type === 'category';
        let hist: Hist | undefined;
        let cats: Categories | undefined;
        if (categorical) cats = new Categories(col?.categories);
        else if (col?.edges !== undefined) hist = new Hist(col.edges);
        else this.unprofiled.push(feature);
        this.missing.set(feature, 0);
        this.features.push({ input: input.name, column, columns, feature, hist, cats });
      });
    }
    // The profile's own target, else the signature's (the Dataset ingest's profile names none;
    // the trainer's signature.json does).
    const targetName = profile?.target ?? sig.target;
    const target = targetName === undefined ? undefined : profile?.columns.get(targetName);
    for (const out of sig.outputs) {
      if (out.classLabels !== undefined) {
        this.classOutputs.push({ output: out.name, labels: out.classLabels, counts: new Map(out.classLabels.map((l) => [l, 0])) });
      } else if (isScalarPerRow(out) && out.datatype !== 'BYTES') {
        const edges = target?.edges ?? DEFAULT_PREDICTION_BUCKETS;
        this.valueOutputs.push({ output: out.name, hist: new Hist(edges) });
      }
    }
  }

  get enabled(): boolean {
    return this.features.length > 0 || this.classOutputs.length > 0 || this.valueOutputs.length > 0;
  }

  observeInputs(inputs: Map<string, Tensor>): void {
    for (const f of this.features) {
      const t = inputs.get(f.input);
      if (t === undefined) continue;
      const data = t.data;
      for (let i = f.column; i < data.length; i += f.columns) {
        if (f.cats !== undefined) {
          f.cats.observe(String(typeof data[i] === 'bigint' ? data[i] : data[i]));
        } else {
          const v = numberAt(data, i);
          if (Number.isNaN(v)) this.missing.set(f.feature, (this.missing.get(f.feature) ?? 0) + 1);
          else f.hist?.observe(v);
        }
      }
    }
  }

  observeOutputs(outputs: Map<string, Tensor>): void {
    for (const o of this.classOutputs) {
      const t = outputs.get(o.output);
      if (t === undefined) continue;
      for (let i = 0; i < t.data.length; i++) {
        const v = t.data[i];
        const label = typeof v === 'string' ? (o.counts.has(v) ? v : OTHER_CATEGORY) : (o.labels[Number(v)] ?? OTHER_CATEGORY);
        o.counts.set(label, (o.counts.get(label) ?? 0) + 1);
      }
    }
    for (const o of this.valueOutputs) {
      const t = outputs.get(o.output);
      if (t === undefined) continue;
      for (let i = 0; i < t.data.length; i++) {
        const v = numberAt(t.data, i);
        if (!Number.isNaN(v)) o.hist.observe(v);
      }
    }
  }

  metrics(): CustomMetric[] {
    const base = this.base;
    return [
      custom('modelops_feature_value', 'Live values of numeric features, bucketed by the edges of the reference profile.', 'histogram', () => {
        const out: MetricValue[] = [];
        for (const f of this.features) if (f.hist) histValues('modelops_feature_value', { ...base, feature: f.feature }, f.hist, out);
        return out;
      }),
      custom('modelops_feature_missing_total', 'Live NaN (missing) values per numeric feature.', 'counter', () => {
        const out: MetricValue[] = [];
        for (const f of this.features) if (f.hist) out.push({ labels: { ...base, feature: f.feature }, value: this.missing.get(f.feature) ?? 0 });
        return out;
      }),
      custom('modelops_feature_category_total', 'Live values of categorical features per category (__other__: not in the reference profile).', 'counter', () => {
        const out: MetricValue[] = [];
        for (const f of this.features) {
          if (!f.cats) continue;
          for (const [category, n] of f.cats.counts) out.push({ labels: { ...base, feature: f.feature, category }, value: n });
        }
        return out;
      }),
      custom('modelops_prediction_class_total', 'Predicted classes per classifier output (class labels from the signature).', 'counter', () => {
        const out: MetricValue[] = [];
        for (const o of this.classOutputs) {
          for (const [cls, n] of o.counts) out.push({ labels: { ...base, output: o.output, class: cls }, value: n });
        }
        return out;
      }),
      custom('modelops_prediction_value', 'Predicted values of scalar outputs, bucketed by the reference profile target edges when given.', 'histogram', () => {
        const out: MetricValue[] = [];
        for (const o of this.valueOutputs) histValues('modelops_prediction_value', { ...base, output: o.output }, o.hist, out);
        return out;
      }),
    ];
  }
}

function isScalarPerRow(t: TensorSpec): boolean {
  return (t.shape.length === 1 && t.shape[0] === -1) || (t.shape.length === 2 && t.shape[0] === -1 && t.shape[1] === 1);
}
