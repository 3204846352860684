// JSON that carries 64-bit integers: SQL integers beyond 2^53 arrive as
// `bigint`, which `JSON.stringify` refuses, so they are written as plain
// JSON numbers with every digit.

const MARK = '\u0000bigint:';
const MARKED = /"\\u0000bigint:(-?\d+)"/g;

/** `value` as JSON text; a `bigint` becomes a JSON number. */
export function stringify(value) {
  const text = JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? MARK + v.toString() : v));
  return text === undefined ? 'null' : text.replace(MARKED, '$1');
}

const encoder = new TextEncoder();

/** UTF-8 bytes of `text`. */
export function utf8(text) {
  return encoder.encode(text);
}

/** `body` (a string, `Uint8Array`, `ArrayBuffer` or view) as a `Uint8Array`. */
export function toBytes(body) {
  if (body === undefined || body === null) return new Uint8Array(0);
  if (typeof body === 'string') return encoder.encode(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError(`a body must be a string, Uint8Array or ArrayBuffer, not ${typeof body}`);
}
