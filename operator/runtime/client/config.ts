// Where the API server is and how to authenticate to it, from a kubeconfig file or the Pod's
// service account, without @kubernetes/client-node (importing it costs a process about 64 MiB;
// see docs/architecture.md). Kubeconfig users that authenticate through an exec plugin or
// an auth provider are handed to client-node's KubeConfig, imported only then.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { load } from 'js-yaml';

export interface TlsOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized: boolean;
  servername?: string;
}

export interface KubeAccess {
  /** Base URL of the API server, without a trailing slash. */
  server: string;
  tls: TlsOptions;
  /** The Authorization header for the next request (a token file or a plugin may rotate it). */
  authorization(): Promise<string | undefined>;
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Bound service-account tokens rotate; client-go rereads the file once a minute. */
const TOKEN_REREAD_MS = 60_000;

interface NamedCluster {
  name: string;
  cluster: { server: string; 'certificate-authority'?: string; 'certificate-authority-data'?: string; 'insecure-skip-tls-verify'?: boolean; 'tls-server-name'?: string };
}
interface NamedUser {
  name: string;
  user?: {
    token?: string;
    tokenFile?: string;
    'client-certificate'?: string;
    'client-certificate-data'?: string;
    'client-key'?: string;
    'client-key-data'?: string;
    username?: string;
    password?: string;
    exec?: unknown;
    'auth-provider'?: unknown;
  };
}
interface NamedContext {
  name: string;
  context: { cluster: string; user?: string };
}
interface KubeconfigFile {
  clusters?: NamedCluster[];
  users?: NamedUser[];
  contexts?: NamedContext[];
  'current-context'?: string;
}

/** A file's token, reread when older than a minute. */
function tokenFromFile(path: string, now: () => number = Date.now): () => string {
  let token = '';
  let readAt = -Infinity;
  return () => {
    if (now() - readAt >= TOKEN_REREAD_MS) {
      token = readFileSync(path, 'utf8').trim();
      readAt = now();
    }
    return token;
  };
}

/** The Pod's service account, as client-go's rest.InClusterConfig. */
export function inClusterAccess(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): KubeAccess {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw new Error('not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set');
  const token = tokenFromFile(join(dir, 'token'));
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    tls: { ca: readFileSync(join(dir, 'ca.crt')), rejectUnauthorized: true },
    authorization: () => Promise.resolve(`Bearer ${token()}`),
  };
}

function bytes(data: string | undefined, file: string | undefined, base: string): Buffer | undefined {
  if (data) return Buffer.from(data, 'base64');
  if (file) return readFileSync(isAbsolute(file) ? file : resolve(base, file));
  return undefined;
}

/** The current context of a kubeconfig file. */
export async function kubeconfigAccess(path: string): Promise<KubeAccess> {
  const file = (load(readFileSync(path, 'utf8')) ?? {}) as KubeconfigFile;
  const base = dirname(path);
  const contextName = file['current-context'];
  const context = file.contexts?.find((c) => c.name === contextName)?.context;
  if (!context) throw new Error(`kubeconfig ${path}: current-context ${JSON.stringify(contextName ?? '')} is not among its contexts`);
  const cluster = file.clusters?.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster?.server) throw new Error(`kubeconfig ${path}: cluster ${JSON.stringify(context.cluster)} of context ${contextName} has no server`);
  const user = file.users?.find((u) => u.name === context.user)?.user ?? {};

  const server = cluster.server.replace(/\/+$/, '');
  const tls: TlsOptions = { rejectUnauthorized: !cluster['insecure-skip-tls-verify'] };
  const ca = bytes(cluster['certificate-authority-data'], cluster['certificate-authority'], base);
  if (ca) tls.ca = ca;
  if (cluster['tls-server-name']) tls.servername = cluster['tls-server-name'];

  if (user.exec || user['auth-provider']) return await pluginAccess(path, server, tls);

  const cert = bytes(user['client-certificate-data'], user['client-certificate'], base);
  const key = bytes(user['client-key-data'], user['client-key'], base);
  if (cert) tls.cert = cert;
  if (key) tls.key = key;
  let authorization: () => string | undefined = () => undefined;
  if (user.token) authorization = () => `Bearer ${user.token}`;
  else if (user.tokenFile) {
    const token = tokenFromFile(isAbsolute(user.tokenFile) ? user.tokenFile : resolve(base, user.tokenFile));
    authorization = () => `Bearer ${token()}`;
  } else if (user.username !== undefined) {
    const basic = Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64');
    authorization = () => `Basic ${basic}`;
  }
  return { server, tls, authorization: () => Promise.resolve(authorization()) };
}

/**
 * Exec plugins and auth providers (cloud logins, OIDC) refresh credentials in ways
 * client-node already implements; only a process configured so pays for importing it.
 */
async function pluginAccess(path: string, server: string, tls: TlsOptions): Promise<KubeAccess> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return {
    server,
    tls,
    async authorization() {
      const opts: { headers?: Record<string, string | string[] | undefined>; cert?: unknown; key?: unknown } = {};
      await kc.applyToHTTPSOptions(opts as never);
      if (opts.cert) tls.cert = Buffer.from(opts.cert as string);
      if (opts.key) tls.key = Buffer.from(opts.key as string);
      const header = opts.headers?.Authorization ?? opts.headers?.authorization;
      return Array.isArray(header) ? header[0] : header;
    },
  };
}

/**
 * As client-node's loadFromDefault: the first file of $KUBECONFIG, else ~/.kube/config,
 * else the Pod's service account.
 */
export async function defaultAccess(env: NodeJS.ProcessEnv = process.env): Promise<KubeAccess> {
  const fromEnv = env.KUBECONFIG?.split(':').find((p) => p && existsSync(p));
  if (fromEnv) return kubeconfigAccess(fromEnv);
  const home = join(env.HOME || homedir(), '.kube', 'config');
  if (existsSync(home)) return kubeconfigAccess(home);
  return inClusterAccess(env);
}
