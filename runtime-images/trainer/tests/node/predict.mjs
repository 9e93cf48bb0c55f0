// Runs a trainer-exported model in onnxruntime-node, the runtime the model server uses, so
// the tests can check that Python and Node serve the same labels and probabilities.
//
// Usage: node predict.mjs MODEL.onnx REQUEST.json RESPONSE.json
// REQUEST:  {"inputs": [{"name", "dtype": "float32" | "string", "shape": [n, 1], "data": [...]}]}
//           (JSON has no NaN: a null in float32 data means "missing" and becomes NaN)
// RESPONSE: {"outputs": {"<name>": {"dims": [...], "type": "...", "data": [...]}}}
import { readFile, writeFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';

const [modelPath, requestPath, responsePath] = process.argv.slice(2);
if (!modelPath || !requestPath || !responsePath) {
  console.error('usage: node predict.mjs MODEL.onnx REQUEST.json RESPONSE.json');
  process.exit(2);
}

const request = JSON.parse(await readFile(requestPath, 'utf8'));
const feeds = {};
for (const input of request.inputs) {
  const data =
    input.dtype === 'float32'
      ? Float32Array.from(input.data, (v) => (v === null ? Number.NaN : v))
      : input.data.map(String);
  feeds[input.name] = new ort.Tensor(input.dtype, data, input.shape);
}

const session = await ort.InferenceSession.create(modelPath);
const results = await session.run(feeds);
const outputs = {};
for (const name of session.outputNames) {
  const tensor = results[name];
  // Float32 values widen exactly to JS numbers and JSON prints them round-trippably.
  outputs[name] = { dims: tensor.dims, type: tensor.type, data: Array.from(tensor.data) };
}
await writeFile(responsePath, JSON.stringify({ outputs, ortVersion: ort.env.versions?.common ?? null }));
