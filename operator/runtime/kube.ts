// Reading API errors precisely: the HTTP status of a failed request (client/http.ts's
// ApiError, or client-node's ApiException where tests use client-node) and the server's message.

/** The HTTP status of an API error, or undefined for a non-API error. */
export function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | null;
  if (e && typeof e.code === 'number') return e.code;
  if (e && typeof e.statusCode === 'number') return e.statusCode;
  return undefined;
}

export const isNotFound = (err: unknown): boolean => statusOf(err) === 404;
export const isConflict = (err: unknown): boolean => statusOf(err) === 409;
export const isAlreadyExists = (err: unknown): boolean => statusOf(err) === 409;

/** The API server's own message from an error body, for logs and conditions. */
export function apiMessage(err: unknown): string {
  const body = (err as { body?: unknown })?.body;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: string };
      if (parsed.message) return parsed.message;
    } catch {
      return body.slice(0, 500);
    }
  } else if (body && typeof body === 'object' && 'message' in body) {
    return String((body as { message: unknown }).message);
  }
  return err instanceof Error ? err.message : String(err);
}
