// The HTTP floor: an express 5 hello route with the same app settings as the server.
//   node bench/hello.ts <port>

import express from 'express';

const port = Number(process.argv[2] ?? 18090);
const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.get('/hello', (_req, res) => {
  res.json({ hello: 'world' });
});
// The same answer after reading a request body: the fixed-rate load generator only POSTs.
app.post('/hello', (req, res) => {
  req.resume();
  req.once('end', () => res.json({ hello: 'world' }));
});
app.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${port}\n`));
