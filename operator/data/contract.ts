// The reconciler's side of the ingest contract (docs/contracts-data.md): the environment of
// the ingest container, and the parsing of its termination message. Pure, so both sides are
// tested against each other in contract.test.ts.
import type { DatasetSpec } from '../api/v1alpha1/types.ts';
import type { IngestResult } from './ingest.ts';
import type { Failure } from './validate.ts';

export interface IngestJobInput {
  namespace: string;
  name: string;
  spec: DatasetSpec;
  artifactStore: string;
  /** status.currentVersion.digest, if any. */
  previousDigest?: string;
  terminationMessagePath?: string;
}

/**
 * The plain environment variables of the ingest container. Secrets are added by the caller:
 * the Dataset's credentialsSecret with envFrom, MODELOPS_PII_SALT and the store's
 * credentials with valueFrom.secretKeyRef.
 */
export function ingestEnvironment(input: IngestJobInput): { name: string; value: string }[] {
  const env = [
    { name: 'MODELOPS_DATASET_NAMESPACE', value: input.namespace },
    { name: 'MODELOPS_DATASET_NAME', value: input.name },
    { name: 'MODELOPS_DATASET_SPEC', value: JSON.stringify({ source: input.spec.source, schema: input.spec.schema, validation: input.spec.validation, profile: input.spec.profile }) },
    { name: 'MODELOPS_ARTIFACT_STORE', value: input.artifactStore },
  ];
  if (input.previousDigest) env.push({ name: 'MODELOPS_PREVIOUS_DIGEST', value: input.previousDigest });
  if (input.terminationMessagePath) env.push({ name: 'MODELOPS_TERMINATION_MESSAGE_PATH', value: input.terminationMessagePath });
  return env;
}

/** The success message: the ingest's result, plus `trimmed` when the compact profile was cut to fit. */
export type IngestSucceeded = IngestResult & {
  /** The trimming steps taken; the full profile is at version.profileUri. */
  trimmed?: string[];
};

export interface IngestFailed {
  ok: false;
  reason: string;
  message: string;
  exitCode: number;
  failures?: Failure[];
}

export type IngestOutcome = IngestSucceeded | IngestFailed;

/** Parses a termination message; undefined when it is not one the ingest wrote. */
export function parseIngestResult(message: string | undefined): IngestOutcome | undefined {
  if (!message) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(message);
  } catch {
    return undefined;
  }
  const o = v as Partial<IngestSucceeded> & Partial<Omit<IngestFailed, 'ok'>> & { ok?: unknown };
  if (o === null || typeof o !== 'object') return undefined;
  if (o.ok === true) {
    const ver = o.version;
    if (!ver || typeof ver.digest !== 'string' || typeof ver.version !== 'string' || typeof ver.uri !== 'string' || typeof ver.rows !== 'number' || typeof ver.createdAt !== 'string') return undefined;
    if (!Array.isArray(o.columns)) return undefined;
    return o as IngestSucceeded;
  }
  if (o.ok === false && typeof o.reason === 'string' && typeof o.message === 'string') return v as IngestFailed;
  return undefined;
}
