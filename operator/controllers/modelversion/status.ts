// The ModelVersion's validation, as pure decisions: what to check before reading any bytes,
// what a read found, whether a result still stands, and the status that follows.
import type { ModelVersion, ModelVersionStatus } from '../../api/v1alpha1/types.ts';
import { findCondition, setCondition } from '../../runtime/conditions.ts';
import type { Condition } from '../../runtime/conditions.ts';
import { Reasons } from '../../runtime/events.ts';
import type { Reason } from '../../runtime/events.ts';

/** What one validation found. `final`: the result stands until the object is recreated (its inputs are immutable). */
export type Outcome =
  | { result: 'verified'; uri: string; size: number }
  | { result: 'invalid'; reason: Reason; message: string; final: boolean }
  | { result: 'unreachable'; message: string };

/** Reasons an Invalid result can carry that no retry can change: the fields they judge are immutable. */
const FINAL_REASONS: ReadonlySet<string> = new Set([Reasons.DigestMismatch, Reasons.SizeMismatch, Reasons.NoSignature, Reasons.UnsupportedArtifactURI]);

/** A missing artifact may be uploaded later: look again after this long. */
export const MISSING_RECHECK_MS = 60_000;

/** The checks that need no I/O, first violation wins. */
export function preflight(mv: ModelVersion, unsupported: string | undefined): Outcome | undefined {
  if (!mv.spec.signature) {
    return {
      result: 'invalid',
      reason: Reasons.NoSignature,
      message: 'spec.signature is missing: the server validates every request against it; register a new version with the model\'s inputs and outputs',
      final: true,
    };
  }
  if (unsupported) return { result: 'invalid', reason: Reasons.UnsupportedArtifactURI, message: unsupported, final: true };
  return undefined;
}

/** Judges what was read: the digest first, then the declared size. */
export function judgeBytes(mv: ModelVersion, read: { sha256: string; size: number }): Outcome {
  const { uri, digest, sizeBytes } = mv.spec.artifact;
  const actual = `sha256:${read.sha256}`;
  if (actual !== digest) {
    return {
      result: 'invalid',
      reason: Reasons.DigestMismatch,
      message: `expected ${digest} got ${actual}; the file at ${uri} changed after registration — register a new version`,
      final: true,
    };
  }
  if (sizeBytes !== undefined && sizeBytes !== read.size) {
    return {
      result: 'invalid',
      reason: Reasons.SizeMismatch,
      message: `the digest matches but spec.artifact.sizeBytes is ${sizeBytes} and the file at ${uri} has ${read.size} bytes; register a new version with the right size`,
      final: true,
    };
  }
  return { result: 'verified', uri, size: read.size };
}

export function missing(uri: string): Outcome {
  return {
    result: 'invalid',
    reason: Reasons.ArtifactMissing,
    message: `no file at ${uri}; upload the model there (checked again every ${MISSING_RECHECK_MS / 1000} s) or register a new version that points at it`,
    final: false,
  };
}

export function unreachable(uri: string, error: string, noStore: boolean): Outcome {
  const hint = noStore && uri.startsWith('s3://') ? '; no artifact store is configured: set --artifact-store and the AWS_* credentials of the operator' : '';
  return { result: 'unreachable', message: `could not read ${uri}: ${error}${hint}; retrying with backoff` };
}

/**
 * Whether the artifact must be read (again). A verified artifact stays verified and a final
 * Invalid result stays final: spec.artifact and spec.signature are immutable (CEL), so a new
 * generation (aliases, stage, description, deletionPolicy) does not download the model again.
 */
export function needsValidation(mv: ModelVersion): boolean {
  const st = mv.status;
  const ready = findCondition(st?.conditions as Condition[] | undefined, 'Ready');
  if (st?.phase === 'Ready' && st.verifiedAt && ready?.status === 'True') return false;
  if (st?.phase === 'Invalid' && ready && FINAL_REASONS.has(ready.reason)) return false;
  return true;
}

/** The status after a validation (or with `outcome` undefined, the previous result kept). */
export function computeStatus(mv: ModelVersion, outcome: Outcome | undefined, now: Date): ModelVersionStatus {
  const previous = mv.status ?? {};
  const generation = mv.metadata.generation;
  const conditions = previous.conditions as Condition[] | undefined;
  const status: ModelVersionStatus = { ...previous, observedGeneration: generation };
  if (!outcome) {
    // Nothing re-read: the result stands; conditions now describe this generation.
    const ready = findCondition(conditions, 'Ready');
    status.phase = previous.phase ?? 'Pending';
    if (ready) status.conditions = setCondition(conditions, ready, now, generation);
    return status;
  }
  switch (outcome.result) {
    case 'verified':
      status.phase = 'Ready';
      status.verifiedAt = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
      status.conditions = setCondition(
        conditions,
        { type: 'Ready', status: 'True', reason: Reasons.ArtifactVerified, message: `${outcome.uri} matches ${mv.spec.artifact.digest} (${outcome.size} bytes)` },
        now,
        generation,
      );
      break;
    case 'invalid':
      status.phase = 'Invalid';
      delete status.verifiedAt;
      status.conditions = setCondition(conditions, { type: 'Ready', status: 'False', reason: outcome.reason, message: outcome.message }, now, generation);
      break;
    case 'unreachable':
      // Transient: not Invalid. A version never verified stays Pending.
      status.phase = previous.phase === 'Ready' ? 'Ready' : 'Pending';
      status.conditions = setCondition(conditions, { type: 'Ready', status: 'Unknown', reason: Reasons.StoreUnreachable, message: outcome.message }, now, generation);
      break;
  }
  // Only a Ready version holds aliases (the alias pass moves them; this only guards the rule).
  if (status.phase !== 'Ready') delete status.aliases;
  return status;
}

/** The state the alias rule sees. */
export function aliasState(mv: ModelVersion): 'Ready' | 'Pending' | 'Invalid' {
  if (mv.status?.phase === 'Ready') return 'Ready';
  if (mv.status?.phase === 'Invalid') return 'Invalid';
  return 'Pending';
}
