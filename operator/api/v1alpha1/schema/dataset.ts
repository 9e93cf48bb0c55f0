// Dataset: a data source ingested, validated, masked, versioned by content and profiled.
import { arr, bool, cron, describe, enumOf, int, int64, named, num, obj, objectName, opt, req, str, timestamp } from './builder.ts';
import { conditions, observedGeneration, secretReference, suspend } from './common.ts';
import { ageColumn } from './kind.ts';
import type { KindDefinition } from './kind.ts';

export const COLUMN_TYPES = ['number', 'integer', 'category', 'boolean', 'string', 'timestamp'] as const;
export const COLUMN_ROLES = ['feature', 'target', 'timestamp', 'id', 'ignore'] as const;

const source = named(
  'DatasetSource',
  obj('Where the data comes from and how to read it.', {
    uri: req(
      str('Location of the data: s3://bucket/key, http(s)://host/path, pvc://claim/path inside a PersistentVolumeClaim, or file:///path for local use.', {
        maxLength: 2048,
        pattern: '^(s3|https?|pvc|file)://.+',
      }),
    ),
    format: opt(enumOf('File format. Omitted: taken from the URI\'s extension (.csv, .jsonl/.ndjson, .parquet).', ['csv', 'jsonl', 'parquet'])),
    credentialsSecret: opt(describe('A Secret whose keys become the ingest Job\'s environment: for S3 AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and optionally AWS_REGION and AWS_ENDPOINT_URL; for http(s) AUTHORIZATION (a header value).', secretReference)),
    csv: opt(
      obj('Options for CSV sources.', {
        delimiter: opt(str('Field delimiter, one character.', { default: ',', minLength: 1, maxLength: 1 })),
        header: opt(bool('Whether the first line holds the column names.', { default: true })),
      }),
    ),
  }),
);

const column = named(
  'DatasetColumn',
  obj(
    'One column of the data: its type, its role for training and the constraints every row must meet.',
    {
      name: req(str('Column name as it appears in the data.', { minLength: 1, maxLength: 128 })),
      type: req(enumOf('Logical type. category: a small set of string values; string: free text (not used as a feature).', COLUMN_TYPES)),
      role: opt(
        enumOf('What the column is for: feature (model input), target (the label to predict), timestamp (orders rows, e.g. for a time-based split), id, or ignore.', COLUMN_ROLES, {
          default: 'feature',
        }),
      ),
      nullable: opt(bool('Whether missing values are allowed. Missing values in a non-nullable column make the row invalid.', { default: true })),
      min: opt(num('Smallest valid value (number and integer columns).')),
      max: opt(num('Largest valid value (number and integer columns).')),
      allowedValues: opt(
        arr('The only valid values (category and string columns).', str('An allowed value.', { maxLength: 256 }), {
          maxItems: 1000,
          'x-kubernetes-list-type': 'set',
        }),
      ),
      pii: opt(enumOf('Personal data handling at ingest: drop removes the column, hash replaces values by a salted SHA-256, mask keeps only the last 4 characters.', ['drop', 'hash', 'mask'])),
      description: opt(str('What the column means, for people reading the Dataset.', { maxLength: 1024 })),
    },
    {
      'x-kubernetes-validations': [
        { rule: '!has(self.min) || !has(self.max) || self.min <= self.max', message: 'min must not be greater than max' },
        { rule: "(!has(self.min) && !has(self.max)) || self.type == 'number' || self.type == 'integer'", message: 'min and max apply only to number and integer columns' },
        { rule: "!has(self.allowedValues) || self.type == 'category' || self.type == 'string'", message: 'allowedValues applies only to category and string columns' },
      ],
    },
  ),
);

const schema = named(
  'DatasetSchema',
  obj('The columns the data must have.', {
    columns: req(
      arr('Declared columns, unique by name. Columns of the data that are not declared are handled by unknownColumns.', column, {
        minItems: 1,
        maxItems: 512,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        'x-kubernetes-validations': [
          { rule: "self.filter(c, has(c.role) && c.role == 'target').size() <= 1", message: 'at most one column may have role target' },
          { rule: "self.exists(c, !has(c.role) || c.role == 'feature')", message: 'at least one column must have role feature' },
        ],
      }),
    ),
    unknownColumns: opt(enumOf('What to do with columns in the data that are not declared: Ignore drops them from the version, Reject fails the ingest.', ['Ignore', 'Reject'], { default: 'Ignore' })),
  }),
);

const validation = named(
  'DatasetValidation',
  obj('Rules the data as a whole must meet; a failing ingest keeps the previous version current.', {
    minRows: opt(int64('Fewest valid rows accepted.', { minimum: 0, default: 1 })),
    maxNullFraction: opt(num('Largest fraction of missing values accepted in any nullable column, 0 to 1.', { minimum: 0, maximum: 1, default: 1 })),
    maxInvalidFraction: opt(
      num('Largest fraction of rows that may break a column constraint (type, range, allowed values, nullability); such rows are dropped. 0 fails the ingest on the first invalid row.', {
        minimum: 0,
        maximum: 1,
        default: 0,
      }),
    ),
    maxDuplicateFraction: opt(num('Largest fraction of exact duplicate rows accepted, 0 to 1.', { minimum: 0, maximum: 1, default: 1 })),
  }),
);

const refresh = named(
  'DatasetRefresh',
  obj('Re-ingests the source on a schedule; unchanged bytes give the same version and no new history entry.', {
    schedule: req(cron('Cron schedule in five fields (minute hour day month weekday) or a macro such as @daily.')),
    timeZone: opt(str('IANA time zone the schedule is read in, e.g. Europe/Berlin. Default UTC.', { maxLength: 64 })),
    suspend: opt(suspend),
    startingDeadlineSeconds: opt(
      int64('A run missed by more than this many seconds (the operator was down) is skipped and counted as missed; omitted: a missed run starts once, as soon as possible.', { minimum: 0 }),
    ),
  }),
);

const retention = named(
  'DatasetRetention',
  obj('How many versions to keep in the history and the artifact store.', {
    maxVersions: opt(int('Most versions kept; older ones are removed, oldest first.', { minimum: 1, maximum: 100, default: 10 })),
    keepReferenced: opt(bool('Never remove a version named in a ModelVersion\'s lineage, even past maxVersions.', { default: true })),
  }),
);

const profileSettings = named(
  'DatasetProfileSettings',
  obj('How the profile, the reference for drift detection, is computed.', {
    histogramBins: opt(int('Number of equal-width histogram bins for numeric columns.', { minimum: 5, maximum: 100, default: 20 })),
    maxCategories: opt(int('Most categories counted per category column; the rest are counted as __other__.', { minimum: 1, maximum: 200, default: 50 })),
  }),
);

export const datasetSpec = named(
  'DatasetSpec',
  obj('The desired data: its source, schema, validation rules and refresh schedule.', {
    source: req(source),
    schema: req(schema),
    validation: opt(validation),
    refresh: opt(refresh),
    retention: opt(retention),
    profile: opt(profileSettings),
  }),
);

const datasetVersion = named(
  'DatasetVersion',
  obj('One stored version of the data.', {
    version: req(str('Short version name: the first 12 hex digits of the digest.', { maxLength: 80 })),
    digest: req(str('sha256 digest of the version\'s canonical content.', { maxLength: 80 })),
    uri: req(str('Where the version (Parquet) is stored in the artifact store.', { maxLength: 2048 })),
    profileUri: opt(str('Where the full profile of the version is stored.', { maxLength: 2048 })),
    rows: req(int64('Number of rows in the version.', { minimum: 0 })),
    bytes: opt(int64('Size of the stored version in bytes.', { minimum: 0 })),
    createdAt: req(timestamp('When the version was first ingested.')),
  }),
);

const columnProfile = named(
  'ColumnProfile',
  obj('Compact statistics of one column; the full profile is in the artifact store.', {
    name: req(str('Column name.', { maxLength: 128 })),
    type: req(enumOf('Logical type of the column.', COLUMN_TYPES)),
    nullFraction: req(num('Fraction of missing values.', { minimum: 0, maximum: 1 })),
    distinct: opt(int64('Approximate number of distinct values.', { minimum: 0 })),
    min: opt(num('Smallest value.')),
    max: opt(num('Largest value.')),
    mean: opt(num('Mean value.')),
    std: opt(num('Standard deviation.')),
    quantiles: opt(
      obj('Quantiles of the values.', {
        p05: opt(num('5th percentile.')),
        p25: opt(num('25th percentile.')),
        p50: opt(num('Median.')),
        p75: opt(num('75th percentile.')),
        p95: opt(num('95th percentile.')),
      }),
    ),
    histogram: opt(
      obj('Counts per fixed bin; the bin edges are the reference bins for drift detection.', {
        edges: req(arr('Bin edges, one more than counts, ascending.', num('A bin edge.'), { maxItems: 101 })),
        counts: req(arr('Number of values in each bin.', int64('A count.', { minimum: 0 }), { maxItems: 100 })),
      }),
    ),
    categories: opt(
      arr(
        'Most frequent categories with their counts.',
        obj('A category and its count.', {
          value: req(str('The category.', { maxLength: 256 })),
          count: req(int64('Rows with this category.', { minimum: 0 })),
        }),
        { maxItems: 50 },
      ),
    ),
  }),
);

export const datasetStatus = named(
  'DatasetStatus',
  obj('The observed state: the current version, its history and profile, and the last ingest.', {
    observedGeneration: opt(observedGeneration),
    phase: opt(enumOf('Pending: not yet ingested; Ingesting: a run is in progress; Ready: the last run succeeded and its version is current; Failed: the last run failed or the spec cannot be acted on, see the Ready condition (currentVersion, if any, is the last good version and stays usable).', ['Pending', 'Ingesting', 'Ready', 'Failed'])),
    conditions: opt(conditions),
    currentVersion: opt(datasetVersion),
    versions: opt(arr('Version history, newest first, bounded by spec.retention.maxVersions.', datasetVersion, { maxItems: 100 })),
    columns: opt(arr('Compact profile of the current version, one entry per column.', columnProfile, { maxItems: 512 })),
    ingestJob: opt(objectName('The Job of the ingest in progress or last run.')),
    lastIngestTime: opt(timestamp('When the last ingest finished, successful or not.')),
    lastScheduleTime: opt(timestamp('When a scheduled refresh last started.')),
    nextRefreshTime: opt(timestamp('When the next scheduled refresh is due.')),
    invalidRows: opt(int64('Rows dropped by the last ingest for breaking a column constraint.', { minimum: 0 })),
  }),
);

export const dataset: KindDefinition = {
  kind: 'Dataset',
  plural: 'datasets',
  singular: 'dataset',
  shortNames: ['mds'],
  description:
    'A Dataset ingests tabular data from a source, validates it against a declared schema, masks personal data, stores it as an immutable version named by its content digest, and profiles it. The profile of the version a model was trained on is the reference for drift detection.',
  spec: datasetSpec,
  status: datasetStatus,
  printerColumns: [
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Pending, Ingesting, Ready or Failed.' },
    { name: 'Version', type: 'string', jsonPath: '.status.currentVersion.version', description: 'Current version (content digest prefix).' },
    { name: 'Rows', type: 'integer', jsonPath: '.status.currentVersion.rows', description: 'Rows in the current version.' },
    { name: 'Source', type: 'string', jsonPath: '.spec.source.uri', description: 'Where the data comes from.', priority: 1 },
    { name: 'Last-Ingest', type: 'date', jsonPath: '.status.lastIngestTime', description: 'When the last ingest finished.' },
    ageColumn,
  ],
};

