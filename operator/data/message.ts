// The termination message: the ingest's result for the operator, within Kubernetes' 4096 bytes.
import type { ColumnProfile } from '../api/v1alpha1/types.ts';
import type { IngestResult } from './ingest.ts';
import { trimColumns } from './profile.ts';
import type { IngestFailed } from './contract.ts';

/** Kubernetes keeps at most 4096 bytes of a termination message. */
export const TERMINATION_MESSAGE_LIMIT = 4096;

const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v), 'utf8');

/** The success message; the compact profile is trimmed to fit (result.trimmed says how). */
export function successMessage(result: IngestResult, limit = TERMINATION_MESSAGE_LIMIT): string {
  const shape = (columns: ColumnProfile[], trimmed: string[]) => (trimmed.length > 0 ? { ...result, columns, trimmed } : { ...result, columns });
  // Room for the "trimmed" list itself.
  const { columns, trimmed } = trimColumns(result.columns, (cols) => bytes(shape(cols, ['rounded', 'topCategories', 'histograms', 'categories', 'quantiles', 'columns'])) <= limit);
  return JSON.stringify(shape(columns, trimmed));
}

/** The failure message: reason, message, and as many failures as fit. */
export function failureMessage(failure: IngestFailed, limit = TERMINATION_MESSAGE_LIMIT): string {
  const out: IngestFailed = { ...failure, message: failure.message.length > 1024 ? `${failure.message.slice(0, 1023)}…` : failure.message };
  if (out.failures) {
    let n = out.failures.length;
    while (n > 0 && bytes({ ...out, failures: out.failures.slice(0, n) }) > limit) n--;
    out.failures = out.failures.slice(0, n);
  }
  return JSON.stringify(out);
}
