// Live traffic for the demo: days of the Seattle weather sample (npm package vega-datasets)
// sent as Open Inference Protocol V2 requests, one column per input as the trained model's
// signature has them. Prints how many were answered and how.
//
//   node hack/demo-traffic.ts --url http://<clusterIP>/v2/models/seattle-weather/infer
//        [--months 12,1,2] [--count 400] [--rps 20] [--seconds 0]
//
// --count sends that many requests; --seconds keeps sending for that long (for a rollout);
// days are taken in a fixed shuffled order so any stretch of traffic mixes the chosen months.
// Each request opens its own connection: kube-proxy picks a Pod per connection, so a client
// that keeps one connection alive stays on the Pods it first reached, and the Service
// provider's replica-ratio split (docs/operator.md) would never reach a canary.
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    months: { type: 'string', default: '' },
    count: { type: 'string', default: '0' },
    seconds: { type: 'string', default: '0' },
    rps: { type: 'string', default: '20' },
  },
});
if (!values.url) throw new Error('--url is required');
const months = new Set(values.months ? values.months.split(',').map(Number) : [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
const csv = readFileSync(join(import.meta.dirname, '../node_modules/vega-datasets/data/seattle-weather.csv'), 'utf8').trim().split('\n').slice(1);
const days = csv.map((l) => l.split(',')).filter((f) => months.has(Number(f[0]!.slice(5, 7))));
let seed = 7;
for (let i = days.length - 1; i > 0; i--) {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  const j = Math.floor((seed / 2147483648) * (i + 1));
  [days[i], days[j]] = [days[j]!, days[i]!];
}

/** POST on a new connection (no keep-alive agent); resolves with the status code. */
function post(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

const input = (name: string, value: string) => ({ name, datatype: 'FP32', shape: [1, 1], data: [Number(value)] });
const count = Number(values.count);
const until = Date.now() + Number(values.seconds) * 1000;
const gap = 1000 / Number(values.rps);
const codes = new Map<number | string, number>();
let sent = 0;
const inflight = new Set<Promise<void>>();
while (count ? sent < count : Date.now() < until) {
  const [, p, tmax, tmin, wind] = days[sent % days.length]!;
  const body = { inputs: [input('precipitation', p!), input('temp_max', tmax!), input('temp_min', tmin!), input('wind', wind!)] };
  const req = post(values.url, JSON.stringify(body))
    .then((status) => {
      codes.set(status, (codes.get(status) ?? 0) + 1);
    })
    .catch((err: Error) => {
      codes.set(err.message, (codes.get(err.message) ?? 0) + 1);
    })
    .finally(() => inflight.delete(req));
  inflight.add(req);
  sent++;
  await new Promise((r) => setTimeout(r, gap));
}
await Promise.all(inflight);
console.log(`  ${sent} requests: ${[...codes].map(([c, n]) => `${n} × ${c}`).join(', ')}`);
