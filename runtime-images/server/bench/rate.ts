// Fixed-rate (open-loop) load with autocannon, for latency at a given fraction of the maximum.
//   node bench/rate.ts <url> <rate/s> <seconds> <body-file> [connections]
// Prints {"p50_ms", "p99_ms", "rps", "non2xx"} as JSON.

import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const [url, rate, seconds, bodyFile, connections] = process.argv.slice(2);
if (url === undefined || bodyFile === undefined) throw new Error('usage: rate.ts <url> <rate> <seconds> <body-file> [connections]');
const result = await autocannon({
  url,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: readFileSync(bodyFile),
  overallRate: Number(rate),
  duration: Number(seconds),
  connections: Number(connections ?? 16),
});
process.stdout.write(`${JSON.stringify({
  p50_ms: result.latency.p50, p99_ms: result.latency.p99, rps: result.requests.average, non2xx: result.non2xx, errors: result.errors,
})}\n`);
