// The InferenceService status as a pure function of what the reconcile observed.
import { setCondition } from '../../runtime/conditions.ts';
import type { Condition } from '../../runtime/conditions.ts';
import { Reasons } from '../../runtime/events.ts';
import type { InferenceService, InferenceServiceStatus } from '../../api/v1alpha1/types.ts';
import { serviceUrl } from './desired.ts';

export interface Observed {
  /** Set when the Service's name is taken by an object we do not manage. */
  serviceConflict?: string;
}

export function computeStatus(isvc: InferenceService, observed: Observed, now: Date): InferenceServiceStatus {
  const previous = isvc.status ?? {};
  const generation = isvc.metadata.generation;
  let conditions = previous.conditions as Condition[] | undefined;
  conditions = observed.serviceConflict
    ? setCondition(conditions, { type: 'ServiceReady', status: 'False', reason: Reasons.ResourceExists, message: observed.serviceConflict }, now, generation)
    : setCondition(conditions, { type: 'ServiceReady', status: 'True', reason: Reasons.Applied, message: 'the Service routes to the serving Pods' }, now, generation);
  conditions = setCondition(
    conditions,
    observed.serviceConflict
      ? { type: 'Ready', status: 'False', reason: Reasons.ResourceExists, message: observed.serviceConflict }
      : { type: 'Ready', status: 'False', reason: Reasons.NoRevision, message: 'no revision serves the model yet' },
    now,
    generation,
  );
  const status: InferenceServiceStatus = {
    ...previous,
    observedGeneration: generation,
    phase: previous.phase ?? 'Pending',
    conditions,
  };
  if (observed.serviceConflict) delete status.url;
  else status.url = serviceUrl(isvc);
  return status;
}
