// Small builders for OpenAPI v3 structural schemas. Every builder takes the field's
// description first, so no field of the API can go undocumented (`kubectl explain`).
//
// The builders return plain data; `named()` records an optional TypeScript type name
// for the type generator without adding anything to the emitted YAML.

export interface CelRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

export interface Schema {
  type?: 'object' | 'string' | 'integer' | 'number' | 'boolean' | 'array';
  description: string;
  format?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema;
  enum?: string[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  anyOf?: Array<{ type: string }>;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: CelRule[];
}

type Extra = Partial<Omit<Schema, 'description' | 'type' | 'properties' | 'items'>>;

const typeNames = new WeakMap<Schema, string>();

/** Gives a schema a TypeScript type name (used only by the type generator). */
export function named<S extends Schema>(name: string, schema: S): S {
  typeNames.set(schema, name);
  return schema;
}

/** The same schema with a description for the place it is used, keeping its type name. */
export function describe<S extends Schema>(description: string, schema: S): S {
  const copy = { ...schema, description };
  const name = typeNames.get(schema);
  if (name) typeNames.set(copy, name);
  return copy;
}

export function typeNameOf(schema: Schema): string | undefined {
  return typeNames.get(schema);
}

/** A field: `opt` marks a property optional, everything else is required. */
export interface Field {
  schema: Schema;
  optional: boolean;
}

export function opt(schema: Schema): Field {
  return { schema, optional: true };
}

export function req(schema: Schema): Field {
  return { schema, optional: false };
}

export function obj(description: string, fields: Record<string, Field | Schema>, extra: Extra = {}): Schema {
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const [name, f] of Object.entries(fields)) {
    const field = 'optional' in f && 'schema' in f ? (f as Field) : { schema: f as Schema, optional: true };
    properties[name] = field.schema;
    if (!field.optional) required.push(name);
  }
  return { type: 'object', description, properties, ...(required.length ? { required } : {}), ...extra };
}

export function str(description: string, extra: Extra = {}): Schema {
  return { type: 'string', description, ...extra };
}

export function int(description: string, extra: Extra = {}): Schema {
  return { type: 'integer', format: extra.format ?? 'int32', description, ...extra };
}

export function int64(description: string, extra: Extra = {}): Schema {
  return { type: 'integer', description, format: 'int64', ...extra };
}

export function num(description: string, extra: Extra = {}): Schema {
  return { type: 'number', description, ...extra };
}

export function bool(description: string, extra: Extra = {}): Schema {
  return { type: 'boolean', description, ...extra };
}

export function enumOf(description: string, values: readonly string[], extra: Extra = {}): Schema {
  return { type: 'string', description, enum: [...values], ...extra };
}

export function arr(description: string, items: Schema, extra: Extra & { maxItems: number }): Schema {
  return { type: 'array', description, items, ...extra };
}

/** A map of string keys to values of one schema. */
export function mapOf(description: string, values: Schema, extra: Extra = {}): Schema {
  return { type: 'object', description, additionalProperties: values, ...extra };
}

export function timestamp(description: string): Schema {
  return { type: 'string', format: 'date-time', description };
}

/** A Go-style duration such as `30s`, `5m` or `1h30m`. */
export function duration(description: string, extra: Extra = {}): Schema {
  return str(description, { pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$', maxLength: 32, ...extra });
}

/** A cron expression (five fields) or a macro such as `@daily`; checked in full by the operator. */
export function cron(description: string): Schema {
  return str(description, {
    maxLength: 128,
    pattern: '^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|\\S+(\\s+\\S+){4})$',
  });
}

/** A Kubernetes object name (DNS-1123 subdomain). */
export function objectName(description: string, maxLength = 253): Schema {
  return str(description, {
    maxLength,
    minLength: 1,
    pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
  });
}

/** A DNS-1123 label: lower-case letters, digits and '-'. */
export function label(description: string, maxLength = 63): Schema {
  return str(description, { maxLength, minLength: 1, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' });
}

const QUANTITY =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

export function quantity(description: string): Schema {
  return {
    description,
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    pattern: QUANTITY,
    'x-kubernetes-int-or-string': true,
  };
}

/** A free-form object of scalar values (hyperparameters); kept small and documented. */
export function freeForm(description: string, maxProperties: number): Schema {
  return { type: 'object', description, maxProperties, 'x-kubernetes-preserve-unknown-fields': true };
}
