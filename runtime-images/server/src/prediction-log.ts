// The sampled prediction log: inputs, outputs, model version, time and request id as JSON
// lines, to a file or to S3 objects. Writing happens off the request path; a slow or failing
// sink drops records and counts them, and never fails a request.

import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { parseS3, s3Client, type S3Options } from './model-source.ts';
import { toJsonArray, type Tensor } from './tensor.ts';
import type { Logger } from './logger.ts';

export interface PredictionRecord {
  time: string;
  request_id: string;
  model: string;
  version: string;
  protocol: string;
  inputs: Record<string, { datatype: string; shape: number[]; data: unknown[] }>;
  outputs: Record<string, { datatype: string; shape: number[]; data: unknown[] }>;
}

export type RecordResult = 'written' | 'dropped' | 'failed';

export interface PredictionLog {
  /** True when this request should be logged (call before building the record). */
  sample(): boolean;
  write(record: PredictionRecord): void;
  close(): Promise<void>;
}

export function tensorsToRecord(tensors: Map<string, Tensor>): PredictionRecord['inputs'] {
  const out: PredictionRecord['inputs'] = {};
  for (const [name, t] of tensors) out[name] = { datatype: t.datatype, shape: t.shape, data: toJsonArray(t.datatype, t.data) };
  return out;
}

export const disabledLog: PredictionLog = { sample: () => false, write: () => {}, close: async () => {} };

interface Options {
  uri: string;
  sampleRate: number;
  maxPending: number;
  flushMs: number;
  s3: S3Options;
  random: () => number;
  count: (result: RecordResult, n: number) => void;
  logger: Logger;
}

export function createPredictionLog(opts: Options): PredictionLog {
  const sample = (): boolean => opts.sampleRate > 0 && opts.random() < opts.sampleRate;
  if (opts.uri.startsWith('file:')) return fileLog(opts, sample);
  return s3Log(opts, sample);
}

function fileLog(opts: Options, sample: () => boolean): PredictionLog {
  const file = fileURLToPath(opts.uri);
  let stream: WriteStream | undefined;
  let broken = false;
  let pending = 0;
  const open = (): WriteStream => {
    const s = createWriteStream(file, { flags: 'a' });
    s.on('error', (err) => {
      if (!broken) opts.logger.error({ err, file }, 'prediction log file failed; records are counted as failed');
      broken = true;
      opts.count('failed', pending);
      pending = 0;
    });
    return s;
  };
  const ready = mkdir(path.dirname(file), { recursive: true }).then(
    () => { stream = open(); },
    (err: Error) => {
      broken = true;
      opts.logger.error({ err, file }, 'cannot create the prediction log folder');
    },
  );
  return {
    sample,
    write(record) {
      if (broken) return opts.count('failed', 1);
      if (stream === undefined || pending >= opts.maxPending) return opts.count('dropped', 1);
      pending++;
      stream.write(`${JSON.stringify(record)}\n`, (err) => {
        if (err) return; // counted by the 'error' handler
        pending--;
        opts.count('written', 1);
      });
    },
    async close() {
      await ready;
      const s = stream;
      if (s === undefined || broken) return;
      await new Promise<void>((resolve) => s.end(resolve));
    },
  };
}

function s3Log(opts: Options, sample: () => boolean): PredictionLog {
  const { bucket, key: prefix } = parseS3(opts.uri);
  const host = hostname();
  const started = Date.now();
  let seq = 0;
  let buffer: string[] = [];
  let flushing: Promise<void> = Promise.resolve();
  const flush = (): Promise<void> => {
    if (buffer.length === 0) return flushing;
    const lines = buffer;
    buffer = [];
    const day = new Date().toISOString().slice(0, 10);
    const key = `${prefix.replace(/\/?$/, '/')}${day}/${host}-${started}-${String(seq++).padStart(6, '0')}.jsonl`;
    flushing = flushing.then(async () => {
      try {
        await s3Client(opts.s3).send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `${lines.join('\n')}\n`, ContentType: 'application/x-ndjson' }));
        opts.count('written', lines.length);
      } catch (err) {
        opts.logger.warn({ err, bucket, key, records: lines.length }, 'prediction log upload failed; records dropped');
        opts.count('failed', lines.length);
      }
    });
    return flushing;
  };
  const timer = setInterval(() => void flush(), opts.flushMs);
  timer.unref();
  return {
    sample,
    write(record) {
      if (buffer.length >= opts.maxPending) return opts.count('dropped', 1);
      buffer.push(JSON.stringify(record));
      if (buffer.length >= 1000) void flush();
    },
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
