// The limit: ONNX Runtime called in process, in a tight loop, one row per run, on the same
// model and session options the server's workers use. Prints {"runs_per_s": ...} as JSON.
//   node bench/ort-loop.ts <model.onnx> <seconds>

import * as ort from 'onnxruntime-node';

const [modelPath, secondsArg] = process.argv.slice(2);
if (modelPath === undefined) throw new Error('usage: ort-loop.ts <model.onnx> [seconds]');
const seconds = Number(secondsArg ?? 5);
const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
const feeds = (): Record<string, ort.Tensor> => ({
  x: new ort.Tensor('float32', new Float32Array([0.5, 12, 4, 3]), [1, 4]),
  month: new ort.Tensor('int64', new BigInt64Array([3n]), [1, 1]),
});
for (let i = 0; i < 1000; i++) await session.run(feeds());
let runs = 0;
const start = performance.now();
const end = start + seconds * 1000;
while (performance.now() < end) {
  for (let i = 0; i < 100; i++) await session.run(feeds());
  runs += 100;
}
const elapsed = (performance.now() - start) / 1000;
process.stdout.write(`${JSON.stringify({ runs_per_s: runs / elapsed, runs, seconds: elapsed })}\n`);
