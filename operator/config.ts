// The operator's configuration: the only module that reads flags and the environment.
// Each flag may also come from MODELOPS_<FLAG_NAME> (e.g. MODELOPS_WORKERS); a flag wins.
import { parseArgs } from 'node:util';

export interface OperatorConfig {
  /** Namespaces to watch; empty means all. */
  namespaces: string[];
  workers: number;
  metricsAddress: { host: string; port: number };
  probeAddress: { host: string; port: number };
  leaderElect: boolean;
  leaderElectionNamespace: string;
  leaderElectionId: string;
  identity: string;
  prometheusUrl: string | undefined;
  artifactStore: string | undefined;
  trainerImage: string;
  serverImage: string;
  /** The operator's own image: the Dataset ingest Jobs run its data command. */
  operatorImage: string;
  /**
   * A Secret, in each namespace where Jobs run, whose keys give those Jobs the artifact store's
   * credentials and endpoint (AWS_* for s3://). Empty: the Jobs get none (a file:// store, or
   * credentials from the node's identity).
   */
  artifactStoreSecret: string | undefined;
  kubeApiQps: number;
  kubeApiBurst: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Path to a kubeconfig; default: the first file of $KUBECONFIG, then ~/.kube/config, then in-cluster. */
  kubeconfig: string | undefined;
  /** How often informers relist everything. */
  relistPeriodMs: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const FLAGS = {
  namespaces: { type: 'string', default: '' },
  workers: { type: 'string', default: '4' },
  'metrics-bind-address': { type: 'string', default: ':8080' },
  'health-probe-bind-address': { type: 'string', default: ':8081' },
  'leader-elect': { type: 'string', default: 'false' },
  'leader-election-namespace': { type: 'string', default: '' },
  'leader-election-id': { type: 'string', default: 'modelops-operator' },
  'prometheus-url': { type: 'string', default: '' },
  'artifact-store': { type: 'string', default: '' },
  'trainer-image': { type: 'string', default: 'localhost/modelops/trainer:0.1.0' },
  'server-image': { type: 'string', default: 'localhost/modelops/server:0.1.0' },
  'operator-image': { type: 'string', default: 'localhost/modelops/operator:0.1.0' },
  'artifact-store-secret': { type: 'string', default: '' },
  'kube-api-qps': { type: 'string', default: '20' },
  'kube-api-burst': { type: 'string', default: '30' },
  'log-level': { type: 'string', default: 'info' },
  kubeconfig: { type: 'string', default: '' },
  'relist-period': { type: 'string', default: '600' },
} as const;

type FlagName = keyof typeof FLAGS;

function envName(flag: string): string {
  return `MODELOPS_${flag.toUpperCase().replaceAll('-', '_')}`;
}

function address(flag: string, value: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(value);
  if (!m) throw new ConfigError(`--${flag}: expected [host]:port, e.g. :8080, got "${value}"`);
  const port = Number(m[2]);
  if (port < 0 || port > 65535) throw new ConfigError(`--${flag}: port ${port} is out of range`);
  return { host: m[1] || '0.0.0.0', port };
}

function positive(flag: string, value: string, integer: boolean): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new ConfigError(`--${flag}: expected a positive ${integer ? 'integer' : 'number'}, got "${value}"`);
  }
  return n;
}

function boolean(flag: string, value: string): boolean {
  if (value === 'true' || value === '') return true;
  if (value === 'false') return false;
  throw new ConfigError(`--${flag}: expected true or false, got "${value}"`);
}

function secretName(flag: string, value: string): string | undefined {
  if (!value) return undefined;
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(value)) throw new ConfigError(`--${flag}: "${value}" is not a Secret name`);
  return value;
}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): OperatorConfig {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: FLAGS, strict: true, allowPositionals: false });
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}; flags: ${Object.keys(FLAGS).map((f) => `--${f}`).join(', ')}`);
  }
  const given = new Set(argv.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0]));
  const get = (flag: FlagName): string => {
    if (given.has(flag)) return String(parsed.values[flag]);
    return env[envName(flag)] ?? FLAGS[flag].default;
  };

  const logLevel = get('log-level');
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    throw new ConfigError(`--log-level: expected debug, info, warn or error, got "${logLevel}"`);
  }
  const namespaces = get('namespaces').split(',').map((s) => s.trim()).filter(Boolean);
  for (const ns of namespaces) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns)) throw new ConfigError(`--namespaces: "${ns}" is not a namespace name`);
  }
  const leaderElect = boolean('leader-elect', get('leader-elect'));
  const podNamespace = env.POD_NAMESPACE ?? '';
  const leaderElectionNamespace = get('leader-election-namespace') || podNamespace;
  if (leaderElect && !leaderElectionNamespace) {
    throw new ConfigError('--leader-elect needs --leader-election-namespace or the POD_NAMESPACE environment variable');
  }
  const prometheusUrl = get('prometheus-url') || undefined;
  if (prometheusUrl && !/^https?:\/\//.test(prometheusUrl)) throw new ConfigError(`--prometheus-url: expected an http(s) URL, got "${prometheusUrl}"`);
  const artifactStore = get('artifact-store') || undefined;
  if (artifactStore && !/^(s3|file):\/\/.+/.test(artifactStore)) {
    throw new ConfigError(`--artifact-store: expected s3://bucket/prefix or file:///path, got "${artifactStore}"`);
  }

  return {
    namespaces,
    workers: positive('workers', get('workers'), true),
    metricsAddress: address('metrics-bind-address', get('metrics-bind-address')),
    probeAddress: address('health-probe-bind-address', get('health-probe-bind-address')),
    leaderElect,
    leaderElectionNamespace,
    leaderElectionId: get('leader-election-id'),
    identity: env.POD_NAME || `${env.HOSTNAME ?? 'modelops'}-${process.pid}`,
    prometheusUrl,
    artifactStore,
    trainerImage: get('trainer-image'),
    serverImage: get('server-image'),
    operatorImage: get('operator-image'),
    artifactStoreSecret: secretName('artifact-store-secret', get('artifact-store-secret')),
    kubeApiQps: positive('kube-api-qps', get('kube-api-qps'), false),
    kubeApiBurst: positive('kube-api-burst', get('kube-api-burst'), true),
    logLevel: logLevel as OperatorConfig['logLevel'],
    kubeconfig: get('kubeconfig') || undefined,
    relistPeriodMs: positive('relist-period', get('relist-period'), false) * 1000,
  };
}
