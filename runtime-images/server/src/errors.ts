// The one catalogue of errors the server answers with: a stable code, an HTTP status and a
// message template. Handlers throw `serverError(...)`; the error middleware turns it into the
// Open Inference Protocol error body `{"error": message}` plus our stable `code`.

export interface ErrorSpec {
  readonly status: number;
  readonly message: (...args: string[]) => string;
}

export const ERRORS = {
  MODEL_NOT_FOUND: { status: 404, message: (name: string) => `model "${name}" is not served here` },
  MODEL_VERSION_NOT_FOUND: {
    status: 404,
    message: (name: string, version: string, served: string) =>
      `model "${name}" has no version "${version}"; the served version is "${served}"`,
  },
  MODEL_NOT_READY: { status: 503, message: (why: string) => `model is not ready: ${why}` },
  SHUTTING_DOWN: { status: 503, message: () => 'server is shutting down; retry on another replica' },
  QUEUE_FULL: {
    status: 503,
    message: (limit: string) => `inference queue is full (${limit} requests waiting); retry later`,
  },
  ROUTE_NOT_FOUND: { status: 404, message: (method: string, path: string) => `no route for ${method} ${path}` },
  BODY_TOO_LARGE: {
    status: 413,
    message: (limit: string) => `request body is larger than the limit of ${limit} bytes (MAX_BODY_BYTES)`,
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: (got: string) =>
      `content type "${got}" is not accepted; expected application/json, or application/octet-stream with an Inference-Header-Content-Length header`,
  },
  INVALID_JSON: { status: 400, message: (why: string) => `request body is not valid JSON: ${why}` },
  INVALID_REQUEST: { status: 400, message: (why: string) => `invalid inference request: ${why}` },
  INVALID_BINARY_HEADER: {
    status: 400,
    message: (why: string) => `invalid binary tensor request: ${why}`,
  },
  INPUT_MISSING: {
    status: 400,
    message: (missing: string, expected: string) => `missing input(s) ${missing}; the model expects ${expected}`,
  },
  INPUT_UNKNOWN: {
    status: 400,
    message: (name: string, expected: string) => `unknown input "${name}"; the model expects ${expected}`,
  },
  INPUT_DUPLICATE: { status: 400, message: (name: string) => `input "${name}" is given more than once` },
  DATATYPE_MISMATCH: {
    status: 400,
    message: (name: string, got: string, expected: string) =>
      `input "${name}" has datatype ${got}; expected ${expected}`,
  },
  SHAPE_MISMATCH: {
    status: 400,
    message: (name: string, got: string, expected: string) =>
      `input "${name}" has shape ${got}; expected ${expected} (-1 is any size)`,
  },
  DATA_SIZE_MISMATCH: {
    status: 400,
    message: (name: string, got: string, expected: string) =>
      `input "${name}" carries ${got} element(s) but its shape needs ${expected}`,
  },
  INVALID_VALUE: {
    status: 400,
    message: (name: string, index: string, expected: string) =>
      `input "${name}" element ${index} is not valid; expected ${expected}`,
  },
  NAN_NOT_ALLOWED: {
    status: 400,
    message: (name: string, index: string) =>
      `input "${name}" element ${index} is NaN or infinite; this input does not allow missing values`,
  },
  BATCH_TOO_LARGE: {
    status: 400,
    message: (got: string, limit: string) => `request carries ${got} rows; at most ${limit} are accepted (MAX_REQUEST_ROWS)`,
  },
  OUTPUT_UNKNOWN: {
    status: 400,
    message: (name: string, expected: string) => `unknown output "${name}"; the model has ${expected}`,
  },
  INFERENCE_FAILED: { status: 500, message: (why: string) => `inference failed: ${why}` },
  INFERENCE_TIMEOUT: {
    status: 504,
    message: (ms: string) => `inference did not finish within ${ms} ms (INFERENCE_TIMEOUT_MS)`,
  },
  INTERNAL: { status: 500, message: () => 'internal server error' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export class ServerError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Seconds for a Retry-After header (503s). */
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, message: string, retryAfter?: number) {
    super(message);
    this.name = 'ServerError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.retryAfter = retryAfter;
  }
}

export function serverError<C extends ErrorCode>(
  code: C,
  ...args: Parameters<(typeof ERRORS)[C]['message']>
): ServerError {
  const spec: ErrorSpec = ERRORS[code];
  return new ServerError(code, spec.message(...(args as string[])));
}

/** The JSON error body: the protocol's `error` field plus our stable code. */
export function errorBody(err: ServerError): { error: string; code: ErrorCode } {
  return { error: err.message, code: err.code };
}
