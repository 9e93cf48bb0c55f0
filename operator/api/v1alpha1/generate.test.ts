// The committed CRDs and TypeScript types must be exactly what the definitions generate,
// and every field of the API must explain itself.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { crdFileName, crdManifest, renderApiDoc, renderCrdYaml, renderTypes } from './generate.ts';
import type { Schema } from './schema/builder.ts';
import { KINDS } from './schema/index.ts';

const root = join(import.meta.dirname, '../../..');

/** Visits every schema node with its JSON path. */
function walk(schema: Schema, path: string, visit: (s: Schema, path: string) => void): void {
  visit(schema, path);
  for (const [name, child] of Object.entries(schema.properties ?? {})) walk(child, `${path}.${name}`, visit);
  if (schema.items) walk(schema.items, `${path}[]`, visit);
  if (schema.additionalProperties) walk(schema.additionalProperties, `${path}{}`, visit);
}

describe('generated API files', () => {
  for (const def of KINDS) {
    it(`crds/${crdFileName(def)} is up to date with the ${def.kind} definition`, () => {
      const committed = readFileSync(join(root, 'crds', crdFileName(def)), 'utf8');
      assert.equal(committed, renderCrdYaml(def), 'stale CRD: run `make generate`');
      const inChart = readFileSync(join(root, 'charts/modelops/crds', crdFileName(def)), 'utf8');
      assert.equal(inChart, committed, 'the chart\'s CRD differs from crds/: run `make generate`');
    });
  }

  it('operator/api/v1alpha1/types.ts is up to date with the CRD schemas', () => {
    const committed = readFileSync(join(root, 'operator/api/v1alpha1/types.ts'), 'utf8');
    assert.equal(committed, renderTypes(KINDS), 'stale types: run `make generate`');
  });

  it('docs/api.md is up to date with the CRD schemas', () => {
    const committed = readFileSync(join(root, 'docs/api.md'), 'utf8');
    assert.equal(committed, renderApiDoc(KINDS), 'stale API reference: run `make generate`');
  });
});

describe('the API schemas', () => {
  for (const def of KINDS) {
    it(`${def.kind}: every field has a description for kubectl explain`, () => {
      const missing: string[] = [];
      for (const [part, schema] of [['spec', def.spec], ['status', def.status]] as const) {
        walk(schema, `.${part}`, (s, path) => {
          if (!s.description || s.description.trim().length < 3) missing.push(path);
        });
      }
      assert.deepEqual(missing, []);
    });

    it(`${def.kind}: spec and status are structural, with free-form objects only where documented`, () => {
      const freeForm: string[] = [];
      for (const [part, schema] of [['spec', def.spec], ['status', def.status]] as const) {
        assert.equal(schema.type, 'object');
        assert.ok(schema.properties, `${part} has properties`);
        assert.notEqual(schema['x-kubernetes-preserve-unknown-fields'], true, `${part} must not preserve unknown fields`);
        walk(schema, `.${part}`, (s, path) => {
          if (s['x-kubernetes-preserve-unknown-fields']) freeForm.push(path);
          if (!s.type && !s['x-kubernetes-int-or-string']) assert.fail(`${path} has no type`);
        });
      }
      for (const path of freeForm) assert.match(path, /\.hyperparameters$/, `unexpected free-form field ${path}`);
    });

    it(`${def.kind}: every list is bounded (the CEL cost budget needs maxItems)`, () => {
      for (const schema of [def.spec, def.status]) {
        walk(schema, def.kind, (s, path) => {
          if (s.type === 'array') assert.ok(s.maxItems !== undefined, `${path} needs maxItems`);
        });
      }
    });

    it(`${def.kind}: printer columns point at fields that exist`, () => {
      const manifest = crdManifest(def) as { spec: { versions: Array<{ schema: { openAPIV3Schema: Schema } }> } };
      const top = manifest.spec.versions[0]!.schema.openAPIV3Schema;
      for (const col of def.printerColumns) {
        if (col.jsonPath.startsWith('.metadata.')) continue;
        let node: Schema | undefined = top;
        for (const key of col.jsonPath.slice(1).split('.')) node = node?.properties?.[key];
        assert.ok(node, `printer column ${col.name}: ${col.jsonPath} is not in the schema`);
      }
      assert.equal(def.printerColumns.at(-1)?.name, 'Age');
      assert.ok(def.printerColumns.some((c) => c.jsonPath === '.status.phase'), 'a Phase column');
    });
  }

  it('short names are unique and do not collide with KServe or built-in kinds', () => {
    // KServe: isvc (InferenceService), tm (TrainedModel), ig (InferenceGraph); and core kinds.
    const taken = new Set(['isvc', 'tm', 'ig', 'ds', 'po', 'svc', 'deploy', 'rs', 'sts', 'cj', 'ing', 'pv', 'pvc', 'ns', 'no', 'cm', 'ev', 'ep', 'sa', 'hpa', 'pdb', 'crd', 'sc', 'netpol']);
    const ours = KINDS.flatMap((k) => k.shortNames);
    assert.equal(new Set(ours).size, ours.length);
    for (const s of ours) assert.ok(!taken.has(s), `${s} is taken`);
  });
});
