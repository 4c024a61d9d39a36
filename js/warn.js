// Console warnings, once per page for each kind (the upload goes on, with less), and how a thrown
// value is described in them and in errors.

const warned = new Set();

/** Logs `message` unless a warning of this `kind` was already given. */
export function warnOnce(kind, message) {
  if (warned.has(kind)) return;
  warned.add(kind);
  console.warn(`partwise: ${message}`);
}

/** The JS `name: message` of a thrown value, or its text. */
export function describe(error) {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return typeof error === 'string' ? error : 'an unknown error';
}
