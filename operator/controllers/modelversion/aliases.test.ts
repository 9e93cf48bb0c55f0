import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planAliases, planChangesSomething } from './aliases.ts';
import type { AliasPlan, VersionView } from './aliases.ts';

/** v(2, 'Ready', ['production'], ['staging']): version 2 claims production and holds staging. */
function v(version: number, state: VersionView['state'], claims: string[] = [], holds: string[] = [], deleting = false): VersionView {
  return { name: `m-v${version}`, version, state, claims, holds, deleting };
}

interface Want {
  holds: Record<string, string[]>;
  strips?: AliasPlan['strips'];
  moves?: AliasPlan['moves'];
  refused?: AliasPlan['refused'];
}

const cases: Array<[string, VersionView[], Want]> = [
  ['a Ready version that claims a free alias takes it', [v(1, 'Ready', ['production'])], { holds: { 'm-v1': ['production'] }, moves: [{ alias: 'production', to: 'm-v1', from: [] }] }],
  ['a Pending version takes nothing until it is verified', [v(1, 'Pending', ['production'])], { holds: { 'm-v1': [] } }],
  ['the holder that still claims its alias keeps it', [v(1, 'Ready', ['production'], ['production']), v(2, 'Ready')], { holds: { 'm-v1': ['production'], 'm-v2': [] } }],
  [
    'a new claimant takes the alias from its holder, whose claim is removed',
    [v(1, 'Ready', ['production'], ['production']), v(2, 'Ready', ['production'])],
    {
      holds: { 'm-v1': [], 'm-v2': ['production'] },
      strips: [{ name: 'm-v1', alias: 'production', winner: 'm-v2', kind: 'moved' }],
      moves: [{ alias: 'production', to: 'm-v2', from: ['m-v1'] }],
    },
  ],
  [
    'an older version that claims the alias takes it back: a rollback',
    [v(1, 'Ready', ['production']), v(2, 'Ready', ['production'], ['production'])],
    {
      holds: { 'm-v1': ['production'], 'm-v2': [] },
      strips: [{ name: 'm-v2', alias: 'production', winner: 'm-v1', kind: 'moved' }],
      moves: [{ alias: 'production', to: 'm-v1', from: ['m-v2'] }],
    },
  ],
  [
    'of two new claimants the higher version wins, and the other loses its claim as a conflict',
    [v(1, 'Ready', ['production'], ['production']), v(2, 'Ready', ['production']), v(3, 'Ready', ['production'])],
    {
      holds: { 'm-v1': [], 'm-v2': [], 'm-v3': ['production'] },
      strips: [
        { name: 'm-v1', alias: 'production', winner: 'm-v3', kind: 'moved' },
        { name: 'm-v2', alias: 'production', winner: 'm-v3', kind: 'conflict' },
      ],
      moves: [{ alias: 'production', to: 'm-v3', from: ['m-v1'] }],
    },
  ],
  [
    'a higher new claimant still Pending beats a lower Ready one, and the holder keeps the alias meanwhile',
    [v(1, 'Ready', ['production'], ['production']), v(2, 'Ready', ['production']), v(3, 'Pending', ['production'])],
    { holds: { 'm-v1': ['production'], 'm-v2': [], 'm-v3': [] }, strips: [{ name: 'm-v2', alias: 'production', winner: 'm-v3', kind: 'conflict' }] },
  ],
  [
    'an Invalid version\'s claim is refused, not trimmed, and the holder keeps the alias',
    [v(1, 'Ready', ['production'], ['production']), v(2, 'Invalid', ['production'])],
    { holds: { 'm-v1': ['production'], 'm-v2': [] }, refused: [{ name: 'm-v2', alias: 'production' }] },
  ],
  [
    'a version being deleted lets go of what it holds, and a claimant takes it',
    [v(1, 'Ready', ['production'], ['production'], true), v(2, 'Ready', ['production'])],
    { holds: { 'm-v1': [], 'm-v2': ['production'] }, moves: [{ alias: 'production', to: 'm-v2', from: ['m-v1'] }] },
  ],
  ['a holder whose claim was removed by hand lets the alias go', [v(1, 'Ready', [], ['production'])], { holds: { 'm-v1': [] } }],
  [
    'two versions that both show the alias (never written by us) are settled: the higher keeps it',
    [v(1, 'Ready', ['production'], ['production']), v(2, 'Ready', ['production'], ['production'])],
    { holds: { 'm-v1': [], 'm-v2': ['production'] }, strips: [{ name: 'm-v1', alias: 'production', winner: 'm-v2', kind: 'moved' }] },
  ],
  [
    'aliases are settled one by one: a version can take one and keep another',
    [v(1, 'Ready', ['production', 'staging'], ['production', 'staging']), v(2, 'Ready', ['staging'])],
    {
      holds: { 'm-v1': ['production'], 'm-v2': ['staging'] },
      strips: [{ name: 'm-v1', alias: 'staging', winner: 'm-v2', kind: 'moved' }],
      moves: [{ alias: 'staging', to: 'm-v2', from: ['m-v1'] }],
    },
  ],
];

describe('planAliases', () => {
  for (const [name, versions, want] of cases) {
    it(name, () => {
      const plan = planAliases(versions);
      assert.deepEqual(Object.fromEntries(plan.holds), want.holds);
      assert.deepEqual(plan.strips, want.strips ?? []);
      assert.deepEqual(plan.moves, want.moves ?? []);
      assert.deepEqual(plan.refused, want.refused ?? []);
    });
  }

  it('never gives an alias to two versions, whatever the input', () => {
    const states: VersionView['state'][] = ['Ready', 'Pending', 'Invalid'];
    for (let seed = 0; seed < 500; seed++) {
      let x = seed * 2654435761;
      const rnd = (n: number) => ((x = (x * 1103515245 + 12345) >>> 0) >>> 8) % n;
      const pick = () => ['a', 'b'].filter(() => rnd(2) === 1);
      const versions = [1, 2, 3, 4].map((n) => v(n, states[rnd(3)]!, pick(), pick(), rnd(5) === 0));
      const plan = planAliases(versions);
      for (const alias of ['a', 'b']) {
        const holders = [...plan.holds].filter(([, h]) => h.includes(alias));
        assert.ok(holders.length <= 1, `seed ${seed}: ${alias} held by ${holders.map(([n]) => n)}`);
      }
      // Applying the plan and planning again changes nothing: one pass converges.
      const stripped = new Set(plan.strips.map((s) => `${s.name}/${s.alias}`));
      const after = versions.map((ver) => ({ ...ver, claims: ver.claims.filter((a) => !stripped.has(`${ver.name}/${a}`)), holds: plan.holds.get(ver.name)! }));
      const again = planAliases(after);
      assert.equal(planChangesSomething(after, again), false, `seed ${seed}: a second pass would change something`);
    }
  });
});
