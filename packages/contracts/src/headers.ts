/**
 * The length a client declared for a body the gateway streams on. The sidecars do not always pass
 * `Content-Length` through (an empty body reaches the service chunked, with none), so the gateway
 * repeats the declared length in this header. Only the gateway sets it (a client's own is never
 * forwarded); the receiver still counts the bytes, and refuses a body that runs past it.
 */
export const DECLARED_LENGTH_HEADER = 'x-parley-declared-length';
