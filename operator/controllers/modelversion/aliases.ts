// One holder per alias per model, as a pure decision over every version of the model.
//
// A version *claims* an alias in spec.aliases and *holds* it when its status.aliases lists it.
// For each alias:
//   - candidates: versions that claim it, are not being deleted and are not Invalid;
//   - new claimants: candidates that do not hold it yet;
//   - the winner: the highest version number among new claimants (a claim moves the alias,
//     even to an older version: that is how a rollback is asked for); with no new claimant, the
//     candidate that already holds it.
//   - a Ready winner holds the alias; every other candidate loses its claim (its spec.aliases
//     is trimmed): the previous holder as a move, a competing new claimant as a conflict.
//   - a winner still Pending (not yet verified) takes nothing yet: the current holder keeps the
//     alias until the winner is Ready, and competing new claimants lose their claims at once.
// Nobody else holds the alias. An Invalid version's claim is never honoured and never trimmed.

export interface VersionView {
  name: string;
  version: number;
  /** spec.aliases */
  claims: readonly string[];
  /** status.aliases */
  holds: readonly string[];
  state: 'Ready' | 'Pending' | 'Invalid';
  deleting: boolean;
}

export interface Strip {
  /** The version whose spec loses the claim. */
  name: string;
  alias: string;
  /** The version the alias goes (or will go) to. */
  winner: string;
  /** moved: the loser held the alias; conflict: it was one of several new claimants. */
  kind: 'moved' | 'conflict';
}

export interface AliasPlan {
  /** The status.aliases every version of the model should have (sorted), by name. */
  holds: Map<string, string[]>;
  /** Claims to remove from spec.aliases. */
  strips: Strip[];
  /** Aliases that change holder: taken by `to` from `from` (none when nobody held it). */
  moves: Array<{ alias: string; to: string; from: string[] }>;
  /** Claims that are not honoured because the claimant is Invalid. */
  refused: Array<{ name: string; alias: string }>;
}

const highest = (vs: readonly VersionView[]): VersionView | undefined =>
  vs.reduce<VersionView | undefined>((best, v) => (!best || v.version > best.version || (v.version === best.version && v.name > best.name) ? v : best), undefined);

export function planAliases(versions: readonly VersionView[]): AliasPlan {
  const aliases = [...new Set(versions.flatMap((v) => [...v.claims, ...v.holds]))].sort();
  const holdsSets = new Map(versions.map((v) => [v.name, new Set<string>()]));
  const plan: AliasPlan = { holds: new Map(), strips: [], moves: [], refused: [] };

  for (const alias of aliases) {
    const claimants = versions.filter((v) => v.claims.includes(alias) && !v.deleting);
    for (const v of claimants) if (v.state === 'Invalid') plan.refused.push({ name: v.name, alias });
    const candidates = claimants.filter((v) => v.state !== 'Invalid');
    const holders = versions.filter((v) => v.holds.includes(alias));
    const newClaimants = candidates.filter((v) => !v.holds.includes(alias));
    const winner = highest(newClaimants) ?? highest(candidates);
    if (!winner) continue;
    // A Pending winner takes nothing yet: the Ready holder keeps the alias until then.
    const holder = winner.state === 'Ready' ? winner : highest(candidates.filter((v) => v.state === 'Ready' && v.holds.includes(alias)));
    for (const v of candidates) {
      if (v !== winner && v !== holder) plan.strips.push({ name: v.name, alias, winner: winner.name, kind: v.holds.includes(alias) ? 'moved' : 'conflict' });
    }
    if (!holder) continue;
    holdsSets.get(holder.name)!.add(alias);
    if (!holder.holds.includes(alias)) plan.moves.push({ alias, to: holder.name, from: holders.map((v) => v.name).sort() });
  }
  for (const v of versions) plan.holds.set(v.name, [...holdsSets.get(v.name)!].sort());
  return plan;
}

/** Whether the plan changes anything in the world (used to skip the fresh read when nothing is to do). */
export function planChangesSomething(versions: readonly VersionView[], plan: AliasPlan): boolean {
  if (plan.strips.length) return true;
  return versions.some((v) => !sameSet(v.holds, plan.holds.get(v.name) ?? []));
}

export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);
}
