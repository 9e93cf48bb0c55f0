import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { PrometheusClient, PrometheusError, parseQueryResponse, parseVectorResponse } from './client.ts';

const ok = (resultType: string, result: unknown) => JSON.stringify({ status: 'success', data: { resultType, result } });

describe('parseQueryResponse', () => {
  const cases: { name: string; status?: number; body: string; want?: unknown; error?: RegExp; code?: string }[] = [
    { name: 'one series is its value', body: ok('vector', [{ metric: {}, value: [1, '0.25'] }]), want: { kind: 'value', value: 0.25 } },
    { name: 'a scalar is its value', body: ok('scalar', [1, '3']), want: { kind: 'value', value: 3 } },
    { name: 'an empty vector is no data', body: ok('vector', []), want: { kind: 'noData', why: 'the query returned no series' } },
    { name: 'NaN is no data', body: ok('vector', [{ metric: {}, value: [1, 'NaN'] }]), want: { kind: 'noData', why: 'the query returned NaN (e.g. no requests in the window)' } },
    { name: 'a NaN scalar is no data', body: ok('scalar', [1, 'NaN']), want: { kind: 'noData', why: 'the query returned NaN' } },
    { name: '+Inf is infinity, not no data', body: ok('vector', [{ metric: {}, value: [1, '+Inf'] }]), want: { kind: 'value', value: Infinity } },
    { name: 'two series are a bad query that says how to fix it', body: ok('vector', [{ metric: { __name__: 'up', job: 'a' }, value: [1, '1'] }, { metric: { job: 'b' }, value: [1, '1'] }]), error: /2 series \(up\{job="a"\}, \{job="b"\}\); it must return one number: aggregate it/, code: 'BadQuery' },
    { name: 'a matrix is a bad query', body: ok('matrix', []), error: /a matrix result; it must return one number/, code: 'BadQuery' },
    { name: 'bad_data carries Prometheus\'s own message', status: 400, body: JSON.stringify({ status: 'error', errorType: 'bad_data', error: '1:6: parse error: unclosed left parenthesis' }), error: /Prometheus bad_data \(HTTP 400\): 1:6: parse error: unclosed left parenthesis/, code: 'BadQuery' },
    { name: 'a timeout may pass next time', status: 503, body: JSON.stringify({ status: 'error', errorType: 'timeout', error: 'query timed out' }), error: /Prometheus timeout/, code: 'Unavailable' },
    { name: 'a body that is not the API (a proxy page) is Unavailable', status: 502, body: '<html>Bad Gateway</html>', error: /HTTP 502, not a Prometheus API answer: <html>Bad Gateway/, code: 'Unavailable' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      if (c.error) {
        assert.throws(() => parseQueryResponse(c.status ?? 200, c.body), (err: unknown) => err instanceof PrometheusError && c.error!.test(err.message) && err.code === c.code);
      } else {
        assert.deepEqual(parseQueryResponse(c.status ?? 200, c.body), c.want);
      }
    });
  }
});

describe('PrometheusClient', () => {
  it('sends the query and the evaluation time, and keeps a path prefix', async () => {
    let seen: URL | undefined;
    const server = createServer((req, res) => {
      seen = new URL(req.url!, 'http://x');
      res.setHeader('content-type', 'application/json');
      res.end(ok('vector', [{ metric: {}, value: [1, '1'] }]));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const client = new PrometheusClient({ url: `http://127.0.0.1:${port}/prom/` });
      assert.deepEqual(await client.query('sum(up)', 1_700_000_000_500), { kind: 'value', value: 1 });
      assert.equal(seen?.pathname, '/prom/api/v1/query');
      assert.equal(seen?.searchParams.get('query'), 'sum(up)');
      assert.equal(seen?.searchParams.get('time'), '1700000000.500');
    } finally {
      server.close();
    }
  });

  it('gives up after its timeout with an Unavailable error', async () => {
    const server = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const client = new PrometheusClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 200 });
      await assert.rejects(client.query('up', Date.now()), (err: unknown) => err instanceof PrometheusError && err.code === 'Unavailable' && /no answer within 200 ms/.test(err.message));
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('reports a refused connection as Unavailable', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise((r) => server.close(r));
    const client = new PrometheusClient({ url: `http://127.0.0.1:${port}` });
    await assert.rejects(client.query('up', Date.now()), (err: unknown) => err instanceof PrometheusError && err.code === 'Unavailable' && /ECONNREFUSED/.test(err.message));
  });
});

describe('parseVectorResponse', () => {
  it('gives every series with its labels, __name__ left out, special values decoded', () => {
    const body = ok('vector', [
      { metric: { __name__: 'x', le: '5' }, value: [1, '12'] },
      { metric: { le: '+Inf' }, value: [1, '+Inf'] },
    ]);
    assert.deepEqual(parseVectorResponse(200, body), [
      { labels: { le: '5' }, value: 12 },
      { labels: { le: '+Inf' }, value: Infinity },
    ]);
  });
  it('gives an empty list for no series', () => assert.deepEqual(parseVectorResponse(200, ok('vector', [])), []));
  it('refuses a scalar: the caller asked for series', () =>
    assert.throws(() => parseVectorResponse(200, ok('scalar', [1, '3'])), (err: unknown) => err instanceof PrometheusError && err.code === 'BadQuery'));
  it('reports bad_data as BadQuery with Prometheus\'s message', () =>
    assert.throws(
      () => parseVectorResponse(400, JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error' })),
      (err: unknown) => err instanceof PrometheusError && err.code === 'BadQuery' && /parse error/.test(err.message),
    ));
});
