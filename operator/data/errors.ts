// The ingest's failure kinds, each with its exit code and condition reason (docs/contracts-data.md).
import type { Failure } from './validate.ts';

export const EXIT = {
  ok: 0,
  /** A bug or an unexpected error: the Job may retry. */
  internal: 1,
  /** The environment or the Dataset spec is unusable: retrying cannot help. */
  config: 2,
  /** The data broke the Dataset's rules: retrying the same data cannot help. */
  validation: 3,
  /** The source or the artifact store failed (network, credentials, missing object), or memory or disk ran out: retry. */
  infrastructure: 4,
} as const;

export class IngestConfigError extends Error {
  override readonly name = 'IngestConfigError';
  readonly reason = 'InvalidConfiguration';
  readonly exitCode = EXIT.config;
}

export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  readonly reason = 'ValidationFailed';
  readonly exitCode = EXIT.validation;
  readonly failures: Failure[];
  constructor(message: string, failures: Failure[]) {
    super(message);
    this.failures = failures;
  }
}

export class InfrastructureError extends Error {
  override readonly name = 'InfrastructureError';
  readonly reason: string;
  readonly exitCode = EXIT.infrastructure;
  constructor(reason: 'SourceUnavailable' | 'StoreUnavailable' | 'ResourcesExhausted', message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

export type IngestError = IngestConfigError | ValidationError | InfrastructureError;
