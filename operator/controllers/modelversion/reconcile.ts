// Reconciles one ModelVersion: its finalizer, the validation of its artifact, its status, the
// aliases of its model, and on deletion the artifact's removal under deletionPolicy Delete.
import type { CustomObjectsApi } from '../../runtime/client/apis.ts';
import type { ModelVersion, ModelVersionStatus } from '../../api/v1alpha1/types.ts';
import { ArtifactUnreachableError, hashStream, UnsupportedArtifactError } from '../../artifacts/resolve.ts';
import type { ArtifactReader } from '../../artifacts/resolve.ts';
import { ArtifactNotFoundError } from '../../artifacts/store.ts';
import type { Clock } from '../../runtime/clock.ts';
import { findCondition } from '../../runtime/conditions.ts';
import type { Condition } from '../../runtime/conditions.ts';
import type { ObjectKey, Reconciler, ReconcileResult } from '../../runtime/controller.ts';
import { Reasons } from '../../runtime/events.ts';
import type { EventRecorder } from '../../runtime/events.ts';
import { errorText } from '../../runtime/log.ts';
import type { Logger } from '../../runtime/log.ts';
import { isConflict } from '../../runtime/kube.ts';
import type { Cache } from '../../runtime/resources.ts';
import { writeStatus } from '../../runtime/status.ts';
import { planAliases, planChangesSomething, sameSet } from './aliases.ts';
import type { AliasPlan, VersionView } from './aliases.ts';
import { ARTIFACT_FINALIZER, decideCleanup, desiredFinalizers } from './deletion.ts';
import { KeyedMutex } from './mutex.ts';
import { aliasState, computeStatus, judgeBytes, missing, MISSING_RECHECK_MS, needsValidation, preflight, unreachable } from './status.ts';
import type { Outcome } from './status.ts';
import { MODEL_VERSIONS } from '../resources.ts';

export interface ModelVersionDeps {
  modelVersions: Cache<ModelVersion>;
  custom: CustomObjectsApi;
  events: EventRecorder;
  clock: Clock;
  reader: ArtifactReader;
  /** The operator's own store root, for messages; undefined when none is configured. */
  storeRoot: string | undefined;
  /** Every ModelVersion of a namespace (or, without one, of every watched namespace), read from the API server, not the cache. */
  listFresh(namespace?: string): Promise<ModelVersion[]>;
}


export class ModelVersionReconciler implements Reconciler {
  readonly #d: ModelVersionDeps;
  readonly #models = new KeyedMutex();

  constructor(deps: ModelVersionDeps) {
    this.#d = deps;
  }

  async reconcile(key: ObjectKey, log: Logger): Promise<ReconcileResult | void> {
    let mv = this.#d.modelVersions.get(key.namespace, key.name);
    if (!mv) return; // gone: the aliases it held went with it
    if (mv.metadata.deletionTimestamp) {
      // A version being deleted lets go of its aliases first.
      return this.#cleanUp((await this.#settleAliases(mv, log)) ?? mv, log);
    }

    const finalizers = desiredFinalizers(mv);
    if (finalizers) mv = await this.#patch(mv, { metadata: { finalizers } });

    const outcome = needsValidation(mv) ? await this.#validate(mv) : undefined;
    let status = computeStatus(mv, outcome, new Date(this.#d.clock.now()));
    try {
      if (await writeStatus(this.#d.custom, MODEL_VERSIONS, mv, status)) log.debug('status updated');
    } catch (err) {
      // The object changed during a long read: keep what was read rather than read it again.
      if (!outcome || !isConflict(err)) throw err;
      mv = (await this.#d.custom.getNamespacedCustomObject({ ...MODEL_VERSIONS, namespace: key.namespace, name: key.name })) as ModelVersion;
      status = computeStatus(mv, outcome, new Date(this.#d.clock.now()));
      await writeStatus(this.#d.custom, MODEL_VERSIONS, mv, status);
    }
    if (outcome) await this.#reportOutcome(mv, outcome, log);
    // The alias pass sees this version as just written, without waiting for the watch.
    await this.#settleAliases({ ...mv, status }, log);

    if (outcome?.result === 'unreachable') throw new Error(outcome.message);
    const ready = findCondition(status.conditions as Condition[] | undefined, 'Ready');
    if (status.phase === 'Invalid' && ready?.reason === Reasons.ArtifactMissing) return { requeueAfterMs: MISSING_RECHECK_MS };
  }

  /** Reads the artifact once and judges it. */
  async #validate(mv: ModelVersion): Promise<Outcome> {
    const uri = mv.spec.artifact.uri;
    const loc = this.#d.reader.locate(uri);
    const early = preflight(mv, loc.kind === 'unsupported' ? loc.reason : undefined);
    if (early) return early;
    try {
      return judgeBytes(mv, await hashStream(await this.#d.reader.open(uri)));
    } catch (err) {
      if (err instanceof ArtifactNotFoundError) return missing(uri);
      if (err instanceof UnsupportedArtifactError) return { result: 'invalid', reason: Reasons.UnsupportedArtifactURI, message: err.message, final: true };
      return unreachable(uri, err instanceof ArtifactUnreachableError ? err.message : errorText(err), this.#d.storeRoot === undefined);
    }
  }

  async #reportOutcome(mv: ModelVersion, outcome: Outcome, log: Logger): Promise<void> {
    const before = findCondition(mv.status?.conditions as Condition[] | undefined, 'Ready');
    if (outcome.result === 'verified') {
      log.info({ uri: outcome.uri, bytes: outcome.size }, 'artifact verified');
      if (before?.reason !== Reasons.ArtifactVerified) await this.#d.events.record(mv, 'Normal', Reasons.ArtifactVerified, 'Verify', `${outcome.uri} matches ${mv.spec.artifact.digest}`);
    } else if (outcome.result === 'invalid') {
      log.warn({ reason: outcome.reason }, outcome.message);
      await this.#d.events.record(mv, 'Warning', outcome.reason, 'Verify', outcome.message);
    } else {
      log.warn({ reason: Reasons.StoreUnreachable }, outcome.message);
      await this.#d.events.record(mv, 'Warning', Reasons.StoreUnreachable, 'Verify', outcome.message);
    }
  }

  /**
   * Makes the model's aliases follow the rule in aliases.ts. The plan is first made from the
   * cache; only when it changes something is it made again from a fresh list, under the
   * model's lock, and carried out: claims trimmed, then aliases removed from statuses, then
   * added, every write guarded by the resourceVersion it was planned from. So no two
   * versions ever show the same alias, even for a moment.
   */
  async #settleAliases(mv: ModelVersion, log: Logger): Promise<ModelVersion | undefined> {
    const { namespace } = mv.metadata;
    const model = mv.spec.model;
    const cached = this.#d.modelVersions.list(namespace).filter((o) => o.spec.model === model && o.metadata.uid !== mv.metadata.uid);
    const views = [...cached, mv].map(viewOf);
    const cachedPlan = planAliases(views);
    for (const r of cachedPlan.refused.filter((r) => r.name === mv.metadata.name)) {
      await this.#d.events.record(mv, 'Warning', Reasons.AliasRefused, 'Alias', `alias ${r.alias} is not given to an Invalid version; it stays where it is`);
    }
    if (!planChangesSomething(views, cachedPlan)) return undefined;

    return this.#models.run(`${namespace}/${model}`, async () => {
      const fresh = (await this.#d.listFresh(namespace)).filter((o) => o.spec.model === model);
      const freshViews = fresh.map(viewOf);
      const plan = planAliases(freshViews);
      const latest = new Map(fresh.map((o) => [o.metadata.name!, o]));
      if (planChangesSomething(freshViews, plan)) await this.#carryOut(latest, plan, log);
      return latest.get(mv.metadata.name!);
    });
  }

  async #carryOut(latest: Map<string, ModelVersion>, plan: AliasPlan, log: Logger): Promise<void> {
    const versionOf = (name: string) => latest.get(name)?.spec.version;
    // 1. Claims that lose, from spec.aliases.
    for (const name of new Set(plan.strips.map((s) => s.name))) {
      const obj = latest.get(name)!;
      const mine = plan.strips.filter((s) => s.name === name);
      const remaining = (obj.spec.aliases ?? []).filter((a) => !mine.some((s) => s.alias === a));
      latest.set(name, await this.#patch(obj, { spec: { aliases: remaining.length ? remaining : null } }));
      for (const s of mine) {
        const to = `${s.winner} (version ${versionOf(s.winner)})`;
        log.info({ alias: s.alias, loser: name, winner: s.winner, kind: s.kind }, 'alias claim removed');
        if (s.kind === 'moved') {
          await this.#d.events.record(obj, 'Normal', Reasons.AliasMoved, 'Alias', `alias ${s.alias} moved to ${to}; removed from spec.aliases`);
        } else {
          await this.#d.events.record(
            obj,
            'Warning',
            Reasons.AliasConflict,
            'Alias',
            `alias ${s.alias} was claimed at once by this version and ${to}; the highest version wins, so the claim was removed from spec.aliases — claim it again to move it here`,
          );
        }
      }
    }
    // 2. Aliases leaving a status, before 3. any arrives in another.
    for (const [name, want] of plan.holds) {
      const obj = latest.get(name)!;
      const holds = obj.status?.aliases ?? [];
      const kept = holds.filter((a) => want.includes(a));
      if (kept.length !== holds.length) latest.set(name, await this.#patchStatusAliases(obj, kept));
    }
    for (const [name, want] of plan.holds) {
      const obj = latest.get(name)!;
      if (!sameSet(obj.status?.aliases ?? [], want)) latest.set(name, await this.#patchStatusAliases(obj, want));
    }
    for (const m of plan.moves) {
      const from = m.from.length ? ` from ${m.from.map((n) => `${n} (version ${versionOf(n)})`).join(', ')}` : '';
      log.info({ alias: m.alias, to: m.to, from: m.from }, 'alias moved');
      await this.#d.events.record(latest.get(m.to)!, 'Normal', Reasons.AliasMoved, 'Alias', `took alias ${m.alias}${from}`);
    }
  }

  /** Removes the artifact under deletionPolicy Delete, then the finalizer. */
  async #cleanUp(mv: ModelVersion, log: Logger): Promise<void> {
    if (!(mv.metadata.finalizers ?? []).includes(ARTIFACT_FINALIZER)) return;
    const uri = mv.spec.artifact.uri;
    const loc = this.#d.reader.locate(uri);
    const others = mv.spec.deletionPolicy === 'Delete' ? await this.#d.listFresh() : [];
    const cleanup = decideCleanup(mv, loc, others, (u) => this.#d.reader.locate(u), this.#d.storeRoot);
    if (cleanup.action === 'retain') {
      log.info({ uri }, cleanup.message);
      await this.#d.events.record(mv, 'Normal', Reasons.ArtifactRetained, 'Delete', cleanup.message);
    } else if (cleanup.action === 'delete') {
      try {
        await this.#d.reader.deleteManaged(uri);
      } catch (err) {
        const message = `could not delete ${uri}: ${errorText(err)}; the ModelVersion stays (finalizer ${ARTIFACT_FINALIZER}) until it succeeds, retrying with backoff`;
        await this.#d.events.record(mv, 'Warning', Reasons.ArtifactDeleteFailed, 'Delete', message);
        throw new Error(message, { cause: err });
      }
      log.info({ uri }, 'artifact deleted');
      await this.#d.events.record(mv, 'Normal', Reasons.ArtifactDeleted, 'Delete', `deleted ${uri} (deletionPolicy Delete)`);
    }
    await this.#patch(mv, { metadata: { finalizers: (mv.metadata.finalizers ?? []).filter((f) => f !== ARTIFACT_FINALIZER) } });
  }

  /** A JSON merge patch of the object, guarded by the resourceVersion it was computed from. */
  async #patch(obj: ModelVersion, body: { metadata?: object; spec?: object }): Promise<ModelVersion> {
    return (await this.#d.custom.patchNamespacedCustomObject({
      ...MODEL_VERSIONS,
      namespace: obj.metadata.namespace!,
      name: obj.metadata.name!,
      body: { ...body, metadata: { ...body.metadata, resourceVersion: obj.metadata.resourceVersion } },
    })) as ModelVersion;
  }

  async #patchStatusAliases(obj: ModelVersion, aliases: string[]): Promise<ModelVersion> {
    const status: Partial<ModelVersionStatus> = { aliases: aliases.length ? aliases : (null as unknown as undefined) };
    return (await this.#d.custom.patchNamespacedCustomObjectStatus({
      ...MODEL_VERSIONS,
      namespace: obj.metadata.namespace!,
      name: obj.metadata.name!,
      body: { metadata: { resourceVersion: obj.metadata.resourceVersion }, status },
    })) as ModelVersion;
  }
}

function viewOf(mv: ModelVersion): VersionView {
  return {
    name: mv.metadata.name!,
    version: mv.spec.version,
    claims: mv.spec.aliases ?? [],
    holds: mv.status?.aliases ?? [],
    state: aliasState(mv),
    deleting: Boolean(mv.metadata.deletionTimestamp),
  };
}
