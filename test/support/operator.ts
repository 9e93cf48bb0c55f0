// Runs the operator as a real process (node operator/main.ts), as the image does, and reads
// its JSON logs.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './control-plane.ts';
import { waitFor } from './wait.ts';

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

export class OperatorProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  metricsPort = 0;
  probePort = 0;
  #exit: Promise<number | null>;

  constructor(child: ChildProcess) {
    this.child = child;
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          this.stderr.push(line);
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    this.#exit = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  logs(msg: RegExp): LogLine[] {
    return this.lines.filter((l) => msg.test(l.msg));
  }

  waitForLog(msg: RegExp, timeoutMs = 30_000): Promise<LogLine> {
    return waitFor(`operator log matching ${msg}`, () => this.lines.find((l) => msg.test(l.msg)), timeoutMs);
  }

  async metrics(): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`);
    return res.text();
  }

  /** SIGTERM: a clean shutdown; resolves with the exit code. */
  async stop(): Promise<number | null> {
    this.child.kill('SIGTERM');
    return this.#exit;
  }

  /** SIGKILL: the process dies mid-work, as on a node failure. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.#exit;
  }

  get exited(): Promise<number | null> {
    return this.#exit;
  }
}

export async function startOperator(opts: { kubeconfig: string; args?: string[]; env?: Record<string, string> }): Promise<OperatorProcess> {
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, 'operator/main.ts'), `--kubeconfig=${opts.kubeconfig}`, '--metrics-bind-address=127.0.0.1:0', '--health-probe-bind-address=127.0.0.1:0', ...(opts.args ?? [])],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', ...opts.env } },
  );
  const op = new OperatorProcess(child);
  let started: LogLine;
  try {
    started = await Promise.race([
      op.waitForLog(/modelops operator starting/, 20_000),
      op.exited.then((code) => {
        throw new Error(`operator exited with ${code} at start: ${op.stderr.join('')}`);
      }),
    ]);
  } catch (err) {
    // Never leave an operator behind that did not start as expected.
    if (child.exitCode === null) child.kill('SIGKILL');
    throw err;
  }
  op.metricsPort = started.metricsPort as number;
  op.probePort = started.probePort as number;
  return op;
}
