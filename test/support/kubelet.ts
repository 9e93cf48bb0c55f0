// A stand-in for the kubelet in integration tests, which run a control plane without a node.
// It does for the Pods of one namespace what a kubelet does for the parts the operator reads:
// runs the Pod's container (the real program, e.g. the ingest command or the real trainer, as
// a local process) with the Pod's environment, its envFrom Secrets and its emptyDir mounts,
// and reports the outcome into the Pod's status: phase, exit code, and the termination message
// (the file at terminationMessagePath, or the log tail under FallbackToLogsOnError).
//
// The Pods stay unscheduled (no node exists), so the scheduler marks them Unschedulable first;
// e2e/ runs the same Jobs on a real kubelet.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { kubeConfig } from './cluster.ts';

/** How to run an image locally: the program and arguments standing in for its entrypoint. */
export type LocalImage = (container: V1Container) => { command: string; args: string[]; cwd?: string; env?: Record<string, string> };

export interface LocalKubeletOptions {
  namespace: string;
  /** Image reference → how to run it here. A Pod with another image fails with ErrImagePull, as on a node. */
  images: Record<string, LocalImage>;
  /** Extra environment for every container (PATH, HOME...). */
  env?: Record<string, string>;
  /** Environment variables that point a program at its termination-message file. */
  terminationEnv?: readonly string[];
  intervalMs?: number;
}

export interface RanPod {
  name: string;
  exitCode: number;
  message: string;
  env: Record<string, string>;
}

export interface LocalKubelet {
  /** Pods run so far, in order. */
  readonly ran: RanPod[];
  stop(): Promise<void>;
}

const TERMINATION_LIMIT = 4096;
const LOG_TAIL_LINES = 80;

export function startLocalKubelet(opts: LocalKubeletOptions): LocalKubelet {
  const core = kubeConfig().makeApiClient(CoreV1Api);
  const seen = new Set<string>();
  const running = new Set<Promise<void>>();
  const ran: RanPod[] = [];
  let stopped = false;

  const patchStatus = (name: string, status: V1Pod['status']) =>
    core.patchNamespacedPodStatus({ name, namespace: opts.namespace, body: { status } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));

  async function envOf(c: V1Container): Promise<Record<string, string>> {
    const env: Record<string, string> = {};
    for (const from of c.envFrom ?? []) {
      if (!from.secretRef?.name) throw new Error('only envFrom secretRef is supported by the stand-in kubelet');
      try {
        const secret = await core.readNamespacedSecret({ name: from.secretRef.name, namespace: opts.namespace });
        for (const [k, v] of Object.entries(secret.data ?? {})) env[`${from.prefix ?? ''}${k}`] = Buffer.from(v, 'base64').toString();
      } catch (err) {
        if (!from.secretRef.optional) throw new Error(`secret "${from.secretRef.name}" not found`, { cause: err });
      }
    }
    for (const e of c.env ?? []) {
      if (e.valueFrom) throw new Error(`env ${e.name}: valueFrom is not supported by the stand-in kubelet`);
      env[e.name] = e.value ?? '';
    }
    return env;
  }

  async function run(pod: V1Pod): Promise<void> {
    const name = pod.metadata!.name!;
    const c = pod.spec!.containers[0]!;
    const image = opts.images[c.image ?? ''];
    if (!image) {
      await patchStatus(name, {
        containerStatuses: [{ name: c.name, image: c.image ?? '', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImagePull', message: `no local stand-in for image ${c.image}` } } }],
      });
      return;
    }
    const scratch = await mkdtemp(join(tmpdir(), `kubelet-${name}-`));
    try {
      let env: Record<string, string>;
      try {
        env = await envOf(c);
      } catch (err) {
        await patchStatus(name, {
          containerStatuses: [{ name: c.name, image: c.image!, imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'CreateContainerConfigError', message: (err as Error).message } } }],
        });
        return;
      }
      // emptyDir mounts become folders here; values that name a mount path are rewritten.
      for (const m of c.volumeMounts ?? []) {
        const vol = pod.spec!.volumes?.find((v) => v.name === m.name);
        if (!vol?.emptyDir) continue;
        const local = join(scratch, m.name);
        await mkdir(local, { recursive: true });
        for (const [k, v] of Object.entries(env)) if (v === m.mountPath || v.startsWith(`${m.mountPath}/`)) env[k] = local + v.slice(m.mountPath.length);
      }
      const terminationFile = join(scratch, 'termination-log');
      for (const k of opts.terminationEnv ?? ['MODELOPS_TERMINATION_MESSAGE_PATH', 'MODELOPS_TERMINATION_LOG']) env[k] = terminationFile;
      const how = image(c);
      const startedAt = new Date();
      await patchStatus(name, {
        phase: 'Running',
        startTime: startedAt,
        containerStatuses: [{ name: c.name, image: c.image!, imageID: `${c.image}@sha256:${'0'.repeat(64)}`, ready: true, restartCount: 0, started: true, state: { running: { startedAt } } }],
      });
      const { code, log } = await new Promise<{ code: number; log: string }>((resolve) => {
        const child = spawn(how.command, how.args, { cwd: how.cwd, env: { ...opts.env, ...how.env, ...env, TMPDIR: scratch }, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        const keep = (d: Buffer) => {
          out += d.toString();
          if (out.length > 256 * 1024) out = out.slice(-128 * 1024);
        };
        child.stdout.on('data', keep);
        child.stderr.on('data', keep);
        child.on('error', (err) => resolve({ code: 127, log: err.message }));
        child.on('close', (code, signal) => resolve({ code: code ?? (signal === 'SIGKILL' ? 137 : 143), log: out }));
      });
      let message = await readFile(terminationFile, 'utf8').catch(() => '');
      if (!message && code !== 0 && c.terminationMessagePolicy === 'FallbackToLogsOnError') message = log.split('\n').slice(-LOG_TAIL_LINES).join('\n');
      message = message.slice(0, TERMINATION_LIMIT);
      ran.push({ name, exitCode: code, message, env });
      const finishedAt = new Date();
      await patchStatus(name, {
        phase: code === 0 ? 'Succeeded' : 'Failed',
        containerStatuses: [
          {
            name: c.name,
            image: c.image!,
            imageID: `${c.image}@sha256:${'0'.repeat(64)}`,
            ready: false,
            restartCount: 0,
            started: false,
            state: { terminated: { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', ...(message ? { message } : {}), startedAt, finishedAt } },
          },
        ],
      });
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  const loop = (async () => {
    while (!stopped) {
      try {
        const pods = await core.listNamespacedPod({ namespace: opts.namespace });
        for (const pod of pods.items) {
          const uid = pod.metadata!.uid!;
          if (seen.has(uid) || pod.metadata?.deletionTimestamp || pod.status?.phase !== 'Pending') continue;
          seen.add(uid);
          const p = run(pod).catch((err: unknown) => {
            if (!stopped) process.stderr.write(`stand-in kubelet: pod ${pod.metadata!.name}: ${(err as Error).message}\n`);
          });
          running.add(p);
          void p.finally(() => running.delete(p));
        }
      } catch (err) {
        if (!stopped) process.stderr.write(`stand-in kubelet: listing pods: ${(err as Error).message}\n`);
      }
      await new Promise((r) => setTimeout(r, opts.intervalMs ?? 300));
    }
  })();

  return {
    ran,
    async stop() {
      stopped = true;
      await loop;
      await Promise.all(running);
    },
  };
}
