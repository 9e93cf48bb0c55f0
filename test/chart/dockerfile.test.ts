// The operator image and the chart must agree: the UID the image runs as is the chart's
// runAsUser, the ports are the chart's, Node is the pinned version. No image can be built
// here yet (no container registry is reachable for the base image), so this reads the
// Dockerfile; the image build itself arrives with the buildah issue.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { load } from 'js-yaml';
import { pinnedVersions, REPO_ROOT } from '../support/control-plane.ts';
import { CHART_DIR } from '../support/helm.ts';

const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const stages = instructions.join('\n').split(/^(?=FROM )/m).filter((s) => s.startsWith('FROM '));
const finalStage = stages.at(-1)!.split('\n');
const values = load(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as any;

function arg(name: string): string | undefined {
  return instructions.find((l) => l.startsWith(`ARG ${name}=`))?.split('=', 2)[1];
}

describe('the operator Dockerfile', () => {
  it('builds on the pinned Node 24 on Debian slim', () => {
    assert.equal(arg('NODE_VERSION'), pinnedVersions().NODE_VERSION);
    assert.match(arg('NODE_IMAGE') ?? '', /node:\$\{NODE_VERSION\}-bookworm-slim$/);
    assert.ok(stages.length >= 2, 'multi-stage');
  });

  it('installs production dependencies only, with the repository .npmrc', () => {
    const deps = stages[0]!;
    assert.match(deps, /^COPY package\.json package-lock\.json \.npmrc \.\/$/m);
    assert.match(deps, /npm ci --omit=dev/);
  });

  it('runs as the chart runAsUser, never root, and starts operator/main.ts', () => {
    const user = finalStage.filter((l) => l.startsWith('USER ')).at(-1);
    assert.equal(user, `USER ${values.podSecurityContext.runAsUser}:${values.podSecurityContext.runAsGroup}`);
    assert.equal(finalStage.at(-1), 'ENTRYPOINT ["node", "--optimize-for-size", "--max-semi-space-size=1", "operator/main.ts"]');
    assert.match(finalStage.join('\n'), /^EXPOSE 8080 8081$/m);
    assert.deepEqual([values.metrics.port, values.health.port], [8080, 8081]);
  });

  it('writes only under /tmp (HOME and TMPDIR point there)', () => {
    const env = finalStage.filter((l) => l.startsWith('ENV ')).join(' ');
    assert.match(env, /HOME=\/tmp/);
    assert.match(env, /TMPDIR=\/tmp/);
  });

  it('sends only the sources and the lock file as build context', () => {
    const ignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    assert.equal(ignore[0], '*');
    for (const p of ['!package.json', '!package-lock.json', '!.npmrc', '!operator/', 'operator/**/*.test.ts']) assert.ok(ignore.includes(p), p);
  });
});
