import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.ts';

const BASE = { MODEL_URI: 'file:///models/m.onnx' };

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig(BASE);
    assert.equal(c.modelName, 'model');
    assert.equal(c.modelVersion, '1');
    assert.equal(c.port, 8080);
    assert.equal(c.maxBatchSize, 32);
    assert.equal(c.maxQueueDelayMs, 0);
    assert.equal(c.maxQueueSize, 256);
    assert.equal(c.workers, 1);
    assert.equal(c.executionProvider, 'auto');
    assert.equal(c.predictionLogSampleRate, 0);
  });

  it('lets flags override the environment', () => {
    const c = loadConfig({ ...BASE, MAX_BATCH_SIZE: '8' }, ['--max-batch-size=16', '--model-name', 'iris']);
    assert.equal(c.maxBatchSize, 16);
    assert.equal(c.modelName, 'iris');
  });

  it('accepts a digest with or without the sha256: prefix', () => {
    const hex = 'ab'.repeat(32);
    assert.equal(loadConfig({ ...BASE, MODEL_SHA256: `sha256:${hex.toUpperCase()}` }).modelSha256, hex);
  });

  const invalid: [string, Record<string, string>, RegExp][] = [
    ['a missing MODEL_URI is reported', {}, /MODEL_URI is required/],
    ['an unsupported scheme is reported', { MODEL_URI: 'ftp://x/m.onnx' }, /MODEL_URI="ftp:\/\/x\/m.onnx" must be a URI/],
    ['a malformed digest is reported', { ...BASE, MODEL_SHA256: 'abc' }, /MODEL_SHA256 must be 64 hex digits/],
    ['a non-integer batch size is reported', { ...BASE, MAX_BATCH_SIZE: '2.5' }, /MAX_BATCH_SIZE="2.5" must be an integer/],
    ['a sample rate above 1 is reported', { ...BASE, PREDICTION_LOG_SAMPLE_RATE: '2' }, /PREDICTION_LOG_SAMPLE_RATE="2" must be a number between 0 and 1/],
    ['an unknown execution provider is reported', { ...BASE, EXECUTION_PROVIDER: 'tpu' }, /EXECUTION_PROVIDER="tpu"/],
  ];
  for (const [name, env, message] of invalid) {
    it(name, () => assert.throws(() => loadConfig(env), (err: unknown) => err instanceof ConfigError && message.test(err.message)));
  }

  it('reports every problem at once', () => {
    assert.throws(() => loadConfig({ MAX_QUEUE_SIZE: '0', PORT: 'x' }), (err: Error) =>
      /MODEL_URI is required/.test(err.message) && /MAX_QUEUE_SIZE/.test(err.message) && /PORT/.test(err.message));
  });
});
