// Helpers for the requests partwise asks the backend to presign.

/** A header of the request, by case-insensitive name. */
export function header(request, name) {
  const found = Object.entries(request.headers ?? {}).find(([k]) => k.toLowerCase() === name);
  return found?.[1];
}

/** A request's JSON body. */
export async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}
