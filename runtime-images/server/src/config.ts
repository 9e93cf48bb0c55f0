// The only module that reads the environment and flags: everything else receives a Config.
// Flags mirror the variables (`--max-batch-size=8` for MAX_BATCH_SIZE) and win over them.

export type ExecutionProvider = 'auto' | 'cpu' | 'cuda';

export interface Config {
  modelUri: string;
  modelSha256: string | undefined;
  modelName: string;
  modelVersion: string;
  signatureUri: string | undefined;
  referenceProfileUri: string | undefined;
  modelCacheDir: string;
  host: string;
  port: number;
  workers: number;
  intraOpThreads: number;
  executionProvider: ExecutionProvider;
  maxBatchSize: number;
  maxQueueDelayMs: number;
  maxQueueSize: number;
  maxBodyBytes: number;
  maxRequestRows: number;
  retryAfterSeconds: number;
  predictionLogUri: string | undefined;
  predictionLogSampleRate: number;
  predictionLogMaxPending: number;
  predictionLogFlushMs: number;
  accessLogSampleRate: number;
  logLevel: string;
  shutdownDrainDelayMs: number;
  shutdownTimeoutMs: number;
  s3Endpoint: string | undefined;
  s3ForcePathStyle: boolean;
  s3Region: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Source = Record<string, string | undefined>;

/** Folds `--some-flag=value` / `--some-flag value` into SOME_FLAG over the environment. */
export function mergeFlags(env: Source, argv: readonly string[]): Source {
  const merged: Source = { ...env };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument "${arg}"; flags look like --model-uri=file:///m.onnx`);
    const eq = arg.indexOf('=');
    let key: string;
    let value: string | undefined;
    if (eq >= 0) {
      key = arg.slice(2, eq);
      value = arg.slice(eq + 1);
    } else {
      key = arg.slice(2);
      value = argv[i + 1];
      i++;
      if (value === undefined) throw new ConfigError(`flag --${key} needs a value`);
    }
    merged[key.toUpperCase().replaceAll('-', '_')] = value;
  }
  return merged;
}

export function loadConfig(env: Source, argv: readonly string[] = []): Config {
  const src = mergeFlags(env, argv);
  const problems: string[] = [];

  const str = (key: string): string | undefined => {
    const v = src[key];
    return v === undefined || v === '' ? undefined : v;
  };
  const int = (key: string, dflt: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const v = str(key);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${key}="${v}" must be an integer in [${min}, ${max}]`);
      return dflt;
    }
    return n;
  };
  const rate = (key: string, dflt: number): number => {
    const v = str(key);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || n > 1) {
      problems.push(`${key}="${v}" must be a number between 0 and 1`);
      return dflt;
    }
    return n;
  };
  const bool = (key: string, dflt: boolean): boolean => {
    const v = str(key);
    if (v === undefined) return dflt;
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    problems.push(`${key}="${v}" must be true or false`);
    return dflt;
  };
  const uri = (key: string, schemes: readonly string[]): string | undefined => {
    const v = str(key);
    if (v === undefined) return undefined;
    const scheme = v.split(':', 1)[0] ?? '';
    if (!v.includes('://') || !schemes.includes(scheme)) {
      problems.push(`${key}="${v}" must be a URI with scheme ${schemes.join(', ')}`);
      return undefined;
    }
    return v;
  };

  const modelUri = uri('MODEL_URI', ['file', 'http', 'https', 's3']);
  if (str('MODEL_URI') === undefined) problems.push('MODEL_URI is required (file://, http(s):// or s3:// URI of model.onnx)');
  const sha = str('MODEL_SHA256')?.toLowerCase().replace(/^sha256:/, '');
  if (sha !== undefined && !/^[0-9a-f]{64}$/.test(sha)) problems.push(`MODEL_SHA256 must be 64 hex digits (optionally prefixed sha256:)`);
  const name = str('MODEL_NAME') ?? 'model';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name)) problems.push(`MODEL_NAME="${name}" must match [A-Za-z0-9][A-Za-z0-9._-]*`);
  const version = str('MODEL_VERSION') ?? '1';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(version)) problems.push(`MODEL_VERSION="${version}" must match [A-Za-z0-9][A-Za-z0-9._-]*`);
  const ep = str('EXECUTION_PROVIDER') ?? 'auto';
  if (ep !== 'auto' && ep !== 'cpu' && ep !== 'cuda') problems.push(`EXECUTION_PROVIDER="${ep}" must be auto, cpu or cuda`);

  const config: Config = {
    modelUri: modelUri ?? '',
    modelSha256: sha,
    modelName: name,
    modelVersion: version,
    signatureUri: uri('SIGNATURE_URI', ['file', 'http', 'https', 's3']),
    referenceProfileUri: uri('REFERENCE_PROFILE', ['file', 'http', 'https', 's3']),
    modelCacheDir: str('MODEL_CACHE_DIR') ?? '/tmp/modelops-model',
    host: str('HOST') ?? '0.0.0.0',
    port: int('PORT', 8080, 0, 65535),
    workers: int('WORKERS', 1, 1, 64),
    intraOpThreads: int('ORT_INTRA_OP_THREADS', 1, 0, 256),
    executionProvider: ep as ExecutionProvider,
    maxBatchSize: int('MAX_BATCH_SIZE', 32, 1, 65536),
    maxQueueDelayMs: int('MAX_QUEUE_DELAY_MS', 0, 0, 10_000),
    maxQueueSize: int('MAX_QUEUE_SIZE', 256, 1, 1_000_000),
    maxBodyBytes: int('MAX_BODY_BYTES', 16 * 1024 * 1024, 1024),
    maxRequestRows: int('MAX_REQUEST_ROWS', 4096, 1),
    retryAfterSeconds: int('RETRY_AFTER_SECONDS', 1, 0, 3600),
    predictionLogUri: uri('PREDICTION_LOG_URI', ['file', 's3']),
    predictionLogSampleRate: rate('PREDICTION_LOG_SAMPLE_RATE', 0),
    predictionLogMaxPending: int('PREDICTION_LOG_MAX_PENDING', 10_000, 1),
    predictionLogFlushMs: int('PREDICTION_LOG_FLUSH_MS', 5_000, 10),
    accessLogSampleRate: rate('ACCESS_LOG_SAMPLE_RATE', 0.01),
    logLevel: str('LOG_LEVEL') ?? 'info',
    shutdownDrainDelayMs: int('SHUTDOWN_DRAIN_DELAY_MS', 0, 0),
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS', 30_000, 0),
    s3Endpoint: str('AWS_ENDPOINT_URL_S3') ?? str('AWS_ENDPOINT_URL'),
    s3ForcePathStyle: bool('S3_FORCE_PATH_STYLE', false),
    s3Region: str('AWS_REGION') ?? str('AWS_DEFAULT_REGION') ?? 'us-east-1',
  };
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return config;
}
