// The HTTP surface: Open Inference Protocol (KServe V2) REST, KServe V1 :predict, /metrics.
// buildApp() only builds; listen() (server.ts) binds it, so tests drive it in process.
//
// The two hot paths skip express: health probes (healthProbe) and V2 inference (buildApp's
// listener matches POST .../infer itself). Express's router and middleware cost ~15 % of the
// event loop per small request (5.5k vs 6.5k req/s at 16 connections on classifier-bench);
// everything else, and every error answer, goes the same way as before. The heavy part of an
// inference request (decode and submit; encode and write) runs in event-loop slices
// (slices.ts), so a probe never waits behind a whole turn of them.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type client from 'prom-client';
import { errorBody, serverError, ServerError } from './errors.ts';
import type { Protocol } from './metrics.ts';
import { decodeV1, decodeV2, encodeV1, encodeV2, HEADER_LENGTH, type InferRequest } from './protocol.ts';
import { tensorsToRecord, type PredictionRecord } from './prediction-log.ts';
import type { Runtime } from './runtime.ts';
import { tensorMetadata, type Signature } from './signature.ts';
import { SLICE_BUDGET_MS, Slices } from './slices.ts';
import type { Tensor } from './tensor.ts';

export const SERVER_NAME = 'modelops-server';
export const SERVER_VERSION = '0.1.0';

interface Ctx {
  started: number;
  protocol: Protocol | undefined;
  requestId: string;
}

const CTX = Symbol('modelops.ctx');
type WithCtx = IncomingMessage & { [CTX]?: Ctx };

function ctx(req: IncomingMessage): Ctx {
  const r = req as WithCtx;
  r[CTX] ??= { started: performance.now(), protocol: undefined, requestId: '' };
  return r[CTX];
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.reject(serverError('BODY_TOO_LARGE', String(limit)));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        reject(serverError('BODY_TOO_LARGE', String(limit)));
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}

function checkContentType(req: IncomingMessage, binary: boolean): void {
  const ct = (req.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
  if (ct === '' || ct === 'application/json' || ct.endsWith('+json')) return;
  if (binary && ct === 'application/octet-stream') return;
  throw serverError('UNSUPPORTED_MEDIA_TYPE', ct);
}

/**
 * Answers GET/HEAD /v2/health/live and /v2/health/ready without express; returns false for any
 * other request. The express routes below answer the URLs this exact match leaves to them (a
 * query string, a trailing slash) the same way.
 */
function healthProbe(rt: Runtime): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    let status: number;
    if (req.url === '/v2/health/live') status = 200;
    else if (req.url === '/v2/health/ready') status = rt.ready ? 200 : 400;
    else return false;
    res.statusCode = status;
    res.setHeader('Content-Length', '0');
    res.end();
    return true;
  };
}

export interface AppState {
  /** Set while the listener closes: responses ask clients to reconnect elsewhere. */
  closing: boolean;
}

/** The server's request listener: probes and V2 inference first, the rest through express. */
export function buildApp(rt: Runtime, state: AppState = { closing: false }): RequestListener {
  const cfg = rt.config;
  const labels = rt.metrics.labels;
  const app = express();
  const slices = new Slices(SLICE_BUDGET_MS);
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', false);

  // prom-client hashes label objects on every call: keep one child per label set instead.
  const requestCounters = new Map<string, client.Counter.Internal>();
  const latencyHistograms = new Map<Protocol, client.Histogram.Internal<string>>();
  const finish = (req: IncomingMessage, status: number): void => {
    const c = ctx(req);
    if (c.protocol !== undefined) {
      const key = `${c.protocol}/${status}`;
      let counter = requestCounters.get(key);
      if (counter === undefined) {
        counter = rt.metrics.requests.labels({ ...labels, protocol: c.protocol, code: String(status) });
        requestCounters.set(key, counter);
      }
      counter.inc();
      let hist = latencyHistograms.get(c.protocol);
      if (hist === undefined) {
        hist = rt.metrics.latency.labels({ ...labels, protocol: c.protocol });
        latencyHistograms.set(c.protocol, hist);
      }
      hist.observe((performance.now() - c.started) / 1000);
    }
    if (status >= 500 || (cfg.accessLogSampleRate > 0 && rt.random() < cfg.accessLogSampleRate)) {
      rt.logger[status >= 500 ? 'warn' : 'info']({
        access: true, method: req.method, path: (req.url ?? '').split('?', 1)[0], status, request_id: c.requestId || undefined,
        ms: Math.round((performance.now() - c.started) * 100) / 100,
      }, 'request');
    }
  };

  const checkModel = (name: string, version: string | undefined): void => {
    if (name !== cfg.modelName) throw serverError('MODEL_NOT_FOUND', name);
    if (version !== undefined && version !== cfg.modelVersion) {
      throw serverError('MODEL_VERSION_NOT_FOUND', name, version, cfg.modelVersion);
    }
  };
  const checkRoute = (req: Request): void => checkModel(String(req.params.name), req.params.version as string | undefined);

  /** Every error answer, from express's error handler and from the V2 inference path alike. */
  const answerError = (err: unknown, req: IncomingMessage, res: ServerResponse): void => {
    let e: ServerError;
    if (err instanceof ServerError) {
      e = err;
    } else {
      rt.logger.error({ err }, 'unhandled error while serving a request');
      e = serverError('INTERNAL');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (e.status === 503) res.setHeader('Retry-After', String(cfg.retryAfterSeconds));
    if (e.code === 'BODY_TOO_LARGE' || state.closing) res.setHeader('Connection', 'close');
    res.statusCode = e.status;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(errorBody(e)));
    finish(req, e.status);
  };

  /**
   * One inference request after its body is read, for both protocols: decode and submit in one
   * event-loop slice, then, once the batch is back, record and answer in another. `answer`
   * writes the status and body; the request id, Connection and metrics are done here.
   */
  const serveInference = async (
    req: IncomingMessage, res: ServerResponse,
    protocol: { decode(sig: Signature): InferRequest; answer(parsed: InferRequest, outputs: Map<string, Tensor>, sig: Signature): void },
  ): Promise<void> => {
    const c = ctx(req);
    const submitted = await slices.run(() => {
      const sig = rt.signature;
      if (!rt.serving || sig === undefined) throw serverError('MODEL_NOT_READY', rt.failure ?? rt.phase);
      const parsed = protocol.decode(sig);
      c.requestId = String(req.headers['x-request-id'] ?? parsed.id ?? randomUUID());
      return { sig, parsed, logged: beforeInference(parsed), outputs: rt.infer(parsed.inputs, parsed.rows) };
    });
    const outputs = await submitted.outputs;
    await slices.run(() => {
      afterInference(submitted.logged, outputs, c.protocol as Protocol, c.requestId);
      res.setHeader('X-Request-Id', c.requestId);
      if (state.closing) res.setHeader('Connection', 'close');
      protocol.answer(submitted.parsed, outputs, submitted.sig);
      finish(req, 200);
    });
  };

  // POST /v2/models/{name}[/versions/{version}]/infer, matched as express's router would
  // (case-insensitive, an optional trailing slash, decoded names), without the router.
  const inferV2 = async (req: IncomingMessage, res: ServerResponse, name: string, version: string | undefined): Promise<void> => {
    const c = ctx(req);
    c.protocol = 'v2';
    checkModel(name, version);
    const headerLength = req.headers[HEADER_LENGTH];
    checkContentType(req, headerLength !== undefined);
    const body = await readBody(req, cfg.maxBodyBytes);
    await serveInference(req, res, {
      decode: (sig) => decodeV2(body, headerLength === undefined ? undefined : Number(headerLength), sig, cfg),
      answer: (parsed, outputs) => {
        const encoded = encodeV2(cfg.modelName, cfg.modelVersion, parsed, outputs);
        if (encoded.headerLength === undefined) {
          res.setHeader('Content-Type', 'application/json');
        } else {
          res.setHeader('Content-Type', 'application/octet-stream');
          res.setHeader('Inference-Header-Content-Length', String(encoded.headerLength));
        }
        res.statusCode = 200;
        res.end(encoded.body);
      },
    });
  };

  app.post(/^\/v1\/models\/([^/:]+):predict$/, async (req, res) => {
    const c = ctx(req);
    c.protocol = 'v1';
    checkModel(String((req.params as Record<string, string>)[0]), undefined);
    checkContentType(req, false);
    const body = await readBody(req, cfg.maxBodyBytes);
    await serveInference(req, res, {
      decode: (sig) => decodeV1(body, sig, cfg),
      answer: (parsed, outputs, sig) => res.status(200).json(encodeV1(sig, outputs, parsed.rows)),
    });
  });

  // Health: the status code is the answer, bodies are empty (Open Inference Protocol).
  app.get('/v2/health/live', (_req, res) => {
    res.status(200).end();
  });
  app.get('/v2/health/ready', (_req, res) => {
    res.status(rt.ready ? 200 : 400).end();
  });
  app.get('/v2', (_req, res) => {
    res.json({ name: SERVER_NAME, version: SERVER_VERSION, extensions: ['binary_tensor_data'] });
  });

  const modelReady = (req: Request, res: Response): void => {
    checkRoute(req);
    res.status(rt.ready ? 200 : 400).end();
  };
  app.get('/v2/models/:name/ready', modelReady);
  app.get('/v2/models/:name/versions/:version/ready', modelReady);

  const modelMetadata = (req: Request, res: Response): void => {
    checkRoute(req);
    const sig = rt.signature;
    if (sig === undefined) throw serverError('MODEL_NOT_READY', rt.failure ?? rt.phase);
    res.json({
      name: cfg.modelName,
      versions: [cfg.modelVersion],
      platform: 'onnxruntime_onnx',
      inputs: sig.inputs.map(tensorMetadata),
      outputs: sig.outputs.map(tensorMetadata),
    });
  };
  app.get('/v2/models/:name', modelMetadata);
  app.get('/v2/models/:name/versions/:version', modelMetadata);

  // Workers take over the input buffers, so everything that reads the inputs runs before
  // inference: drift counts every valid request, the prediction log keeps a copy if sampled.
  const beforeInference = (req: InferRequest): PredictionRecord['inputs'] | undefined => {
    rt.drift?.observeInputs(req.inputs);
    return rt.predictionLog.sample() ? tensorsToRecord(req.inputs) : undefined;
  };
  const afterInference = (
    logged: PredictionRecord['inputs'] | undefined, outputs: Map<string, Tensor>, protocol: Protocol, requestId: string,
  ): void => {
    rt.drift?.observeOutputs(outputs);
    if (logged !== undefined) {
      rt.predictionLog.write({
        time: new Date().toISOString(), request_id: requestId, model: cfg.modelName, version: cfg.modelVersion, protocol,
        inputs: logged, outputs: tensorsToRecord(outputs),
      });
    }
  };

  app.get('/v1/models/:name', (req, res) => {
    checkRoute(req);
    res.json({ name: cfg.modelName, ready: rt.ready });
  });
  app.get('/metrics', async (_req, res) => {
    const text = await rt.metrics.registry.metrics();
    res.setHeader('Content-Type', rt.metrics.registry.contentType);
    res.end(text);
  });

  app.use((req: Request) => {
    throw serverError('ROUTE_NOT_FOUND', req.method, req.path);
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => answerError(err, req, res));

  const probe = healthProbe(rt);
  return (req, res) => {
    if (probe(req, res)) return;
    if (req.method === 'POST') {
      const m = INFER_V2.exec((req.url ?? '').split('?', 1)[0] as string);
      if (m !== null) {
        let name: string;
        let version: string | undefined;
        try {
          name = decodeURIComponent(m[1] as string);
          version = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
        } catch {
          answerError(serverError('MODEL_NOT_FOUND', m[1] as string), req, res);
          return;
        }
        inferV2(req, res, name, version).catch((err: unknown) => answerError(err, req, res));
        return;
      }
    }
    app(req, res);
  };
}

const INFER_V2 = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?\/infer\/?$/i;
