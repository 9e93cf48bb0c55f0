// What defines one custom resource kind: names, printer columns, spec and status schemas.
import type { Schema } from './builder.ts';

export const GROUP = 'modelops.dev';
export const VERSION = 'v1alpha1';
export const CATEGORY = 'modelops';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description: string;
  priority?: number;
  format?: string;
}

export interface KindDefinition {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  /** Shown by `kubectl explain <kind>`: what the kind is for, in a few sentences. */
  description: string;
  spec: Schema;
  status: Schema;
  printerColumns: PrinterColumn[];
}

export const ageColumn: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since the object was created.',
};
