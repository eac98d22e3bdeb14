// multipart/form-data bodies as a browser or `curl -F` sends them, built by the platform's own FormData encoder.

/** One form field: text, or a file with its bytes. */
export type FormValue = string | { filename: string; type?: string; data: Uint8Array };

/** A multipart/form-data body and its content type (with the boundary). */
export async function formBody(fields: Record<string, FormValue>): Promise<{ body: Uint8Array; contentType: string }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === 'string') form.append(name, value);
    else form.append(name, new Blob([new Uint8Array(value.data)], { type: value.type ?? 'application/octet-stream' }), value.filename);
  }
  const response = new Response(form);
  return { body: new Uint8Array(await response.arrayBuffer()), contentType: response.headers.get('content-type')! };
}
