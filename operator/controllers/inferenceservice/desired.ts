// Desired children of an InferenceService, as pure data: same input, same output.
import type { V1Service } from '@kubernetes/client-node';
import type { InferenceService } from '../../api/v1alpha1/types.ts';

export const LABEL_ISVC = 'modelops.dev/inferenceservice';

/** Labels every child of the InferenceService carries. */
export function childLabels(isvc: InferenceService): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'modelops-server',
    'app.kubernetes.io/instance': isvc.metadata.name!,
    'app.kubernetes.io/managed-by': 'modelops',
    'app.kubernetes.io/part-of': 'modelops',
    [LABEL_ISVC]: isvc.metadata.name!,
  };
}

/**
 * The Service in front of every revision's Pods. With the Service traffic provider it splits
 * traffic by replica ratio; with the Gateway API provider it is the route's stable entry.
 */
export function desiredService(isvc: InferenceService): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: isvc.metadata.name!,
      namespace: isvc.metadata.namespace!,
      labels: childLabels(isvc),
    },
    spec: {
      type: 'ClusterIP',
      selector: { [LABEL_ISVC]: isvc.metadata.name! },
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

export function serviceUrl(isvc: InferenceService): string {
  return `http://${isvc.metadata.name}.${isvc.metadata.namespace}.svc.cluster.local`;
}
