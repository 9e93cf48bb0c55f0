// Registers a run that passed its gate as ModelVersion <model>-v<N>, exactly once. The run is
// recognised by its Job's uid (an annotation on the ModelVersion), so an operator that dies
// between creating the ModelVersion and writing status finds it again instead of creating a
// second one. N is the next free number; two runs racing for it are told apart by the API
// server (409 AlreadyExists), and the loser takes the next number.
import type { V1Job } from '@kubernetes/client-node';
import type { CustomObjectsApi, ObjectsApi } from '../../runtime/client/apis.ts';
import type { ModelVersion, TrainingJob } from '../../api/v1alpha1/types.ts';
import { ArtifactNotFoundError } from '../../artifacts/store.ts';
import type { ArtifactStore } from '../../artifacts/store.ts';
import { isAlreadyExists } from '../../runtime/kube.ts';
import { listAll } from '../../runtime/resources.ts';
import { CONTAINER } from './desired.ts';
import { desiredModelVersion, nextVersion, signatureFromTrainer } from './registry.ts';
import { ContractError } from './result.ts';
import type { TrainerSuccess } from './result.ts';
import { ANNOTATION_DATASET_DIGEST, ANNOTATION_DATASET_VERSION } from './run.ts';
import { MODEL_VERSIONS } from '../resources.ts';

/** The uid of the Job whose run a ModelVersion registers. */
export const ANNOTATION_JOB_UID = 'modelops.dev/job-uid';

/** Racing registrations of one model give up after this many taken numbers (then retry with backoff). */
const MAX_ATTEMPTS = 20;

export interface RegistrationDeps {
  objects: ObjectsApi;
  custom: CustomObjectsApi;
  store: ArtifactStore;
}

/** The store key of a URI the trainer reported, which must lie inside the store. */
export function keyOf(store: ArtifactStore, uri: string): string {
  const root = `${store.root.replace(/\/$/, '')}/`;
  if (!uri.startsWith(root)) throw new ContractError(`${uri} is outside the artifact store ${store.root}; a trainer writes under MODELOPS_OUTPUT_URI`);
  return uri.slice(root.length);
}

async function readSignature(store: ArtifactStore, uri: string) {
  let text: Buffer;
  try {
    text = await store.read(keyOf(store, uri));
  } catch (err) {
    if (err instanceof ArtifactNotFoundError) throw new ContractError(`the trainer reported ${uri} but it is not in the store`);
    throw err;
  }
  try {
    return signatureFromTrainer(JSON.parse(text.toString('utf8')));
  } catch (err) {
    if (err instanceof SyntaxError) throw new ContractError(`${uri} is not JSON: ${err.message}`);
    throw err;
  }
}

/**
 * Returns the name of the ModelVersion of this run, creating it if no ModelVersion names the
 * Job yet. Throws ContractError when the run's outputs break the trainer contract.
 */
export async function register(d: RegistrationDeps, tj: TrainingJob, job: V1Job, result: TrainerSuccess, imageDigest: string | undefined): Promise<string> {
  const namespace = tj.metadata.namespace!;
  const jobUid = job.metadata!.uid!;
  const list = async () => (await listAll<ModelVersion>(d.objects, d.custom, MODEL_VERSIONS, namespace)).items;

  // Read fresh, not from a cache: this process may itself have created it a moment ago.
  let existing = await list();
  const mine = existing.find((mv) => mv.metadata.annotations?.[ANNOTATION_JOB_UID] === jobUid);
  if (mine) return mine.metadata.name!;

  const signature = await readSignature(d.store, result.signatureUri);
  const annotations = job.metadata?.annotations ?? {};
  const datasetDigest = annotations[ANNOTATION_DATASET_DIGEST];
  let floor = 1;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const version = Math.max(floor, nextVersion(existing.filter((mv) => mv.spec.model === tj.spec.model).map((mv) => mv.spec.version)));
    const mv = desiredModelVersion(tj, {
      version,
      result,
      signature,
      datasetName: tj.spec.datasetRef.name,
      datasetVersion: annotations[ANNOTATION_DATASET_VERSION] ?? result.dataset?.version ?? 'unknown',
      ...(datasetDigest ? { datasetDigest } : {}),
      jobName: job.metadata!.name!,
      image: job.spec?.template.spec?.containers.find((c) => c.name === CONTAINER)?.image ?? '',
      ...(imageDigest ? { imageDigest } : {}),
    });
    mv.metadata.annotations = { ...mv.metadata.annotations, [ANNOTATION_JOB_UID]: jobUid };
    try {
      await d.objects.create(mv);
      return mv.metadata.name!;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    // Taken: by a racing run (re-read to see it) or by a ModelVersion of another model.
    floor = version + 1;
    existing = await list();
    const raced = existing.find((m) => m.metadata.annotations?.[ANNOTATION_JOB_UID] === jobUid);
    if (raced) return raced.metadata.name!;
  }
  throw new Error(`could not find a free version number for model ${tj.spec.model} after ${MAX_ATTEMPTS} attempts`);
}
