import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSubset } from './apply.ts';

describe('isSubset decides whether a child has drifted', () => {
  const cases: Array<{ name: string; want: unknown; have: unknown; expect: boolean }> = [
    { name: 'fields the server added (defaults, status) are not drift', want: { spec: { type: 'ClusterIP' } }, have: { spec: { type: 'ClusterIP', clusterIP: '10.0.0.1' }, status: {} }, expect: true },
    { name: 'a changed value is drift', want: { spec: { replicas: 2 } }, have: { spec: { replicas: 3 } }, expect: false },
    { name: 'a missing field is drift', want: { metadata: { labels: { a: '1' } } }, have: { metadata: {} }, expect: false },
    { name: 'list elements are compared in order, extra defaults allowed', want: { spec: { ports: [{ port: 80 }] } }, have: { spec: { ports: [{ port: 80, protocol: 'TCP' }] } }, expect: true },
    { name: 'an extra list element is drift', want: { spec: { ports: [{ port: 80 }] } }, have: { spec: { ports: [{ port: 80 }, { port: 81 }] } }, expect: false },
    { name: 'an extra key in an atomic map (a Service selector) is drift', want: { spec: { selector: { a: '1' } } }, have: { spec: { selector: { a: '1', b: '2' } } }, expect: false },
    { name: 'an extra key in a granular map (labels) is not drift', want: { metadata: { labels: { a: '1' } } }, have: { metadata: { labels: { a: '1', b: '2' } } }, expect: true },
  ];
  for (const c of cases) it(c.name, () => assert.equal(isSubset(c.want, c.have), c.expect));
});
