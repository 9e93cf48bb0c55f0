// Writes crds/*.yaml, operator/api/v1alpha1/types.ts and docs/api.md from the kind definitions.
// usage: node hack/generate-api.ts [--check]   (--check: fail if the files are stale)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { crdFileName, renderApiDoc, renderCrdYaml, renderTypes } from '../operator/api/v1alpha1/generate.ts';
import { KINDS } from '../operator/api/v1alpha1/schema/index.ts';

const root = join(import.meta.dirname, '..');
const check = process.argv.includes('--check');

const files = new Map<string, string>();
for (const def of KINDS) {
  // The chart ships the same CRDs (Helm installs its crds/ folder on first install).
  files.set(join(root, 'crds', crdFileName(def)), renderCrdYaml(def));
  files.set(join(root, 'charts/modelops/crds', crdFileName(def)), renderCrdYaml(def));
}
files.set(join(root, 'operator/api/v1alpha1/types.ts'), renderTypes(KINDS));
files.set(join(root, 'docs/api.md'), renderApiDoc(KINDS));

let stale = 0;
for (const [path, content] of files) {
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (current === content) continue;
  if (check) {
    console.error(`stale: ${path} (run make generate)`);
    stale++;
  } else {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    console.log(`wrote ${path}`);
  }
}
process.exit(stale ? 1 : 0);
