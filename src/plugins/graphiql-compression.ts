/**
 * GraphiQL (~9 MB of inlined HTML and JS, src/graphiql.ts) served compressed, brotli or gzip as
 * the browser accepts. It is the only HTML the gateway serves and it never changes within a
 * process, so each encoding is compressed once and cached.
 *
 * Why not @whatwg-node/server's useContentEncoding: it compresses every response on the fly
 * (CPU on the API's hot path for small JSON answers) and also inflates compressed request
 * bodies after the body-size cap has read the compressed length, which would let a small
 * request expand without bound. Only this one large, fixed page needs compressing.
 */
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Plugin } from 'graphql-yoga';

type Encoding = 'br' | 'gzip';

const compressors: Record<Encoding, (text: string) => Promise<Buffer>> = {
  // Quality 5: within a few % of the best ratio for this page at a fraction of the time.
  br: (text) =>
    promisify(brotliCompress)(text, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } }),
  gzip: (text) => promisify(gzip)(text),
};

/** The preferred encoding the client accepts (q=0 means "not this one"), if any. */
export function acceptedEncoding(header: string | null): Encoding | undefined {
  if (!header) return undefined;
  const accepted = new Set<string>();
  for (const part of header.toLowerCase().split(',')) {
    const [name, ...params] = part.split(';').map((p) => p.trim());
    if (params.some((p) => /^q=0(\.0*)?$/.test(p))) continue;
    if (name) accepted.add(name);
  }
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip')) return 'gzip';
  return undefined;
}

export function useGraphiQLCompression(): Plugin {
  // Plain ArrayBuffers: what the fetch API's BodyInit type takes, copied once per encoding.
  const cache = new Map<Encoding, Promise<ArrayBuffer>>();
  return {
    onResponse({ request, response, setResponse, fetchAPI }) {
      if (request.method !== 'GET' || response.headers.has('content-encoding')) return;
      if (!response.headers.get('content-type')?.startsWith('text/html')) return;
      const encoding = acceptedEncoding(request.headers.get('accept-encoding'));
      if (!encoding) return;
      return response.text().then(async (html) => {
        let compressed = cache.get(encoding);
        if (!compressed) {
          compressed = compressors[encoding](html).then((buffer) => new Uint8Array(buffer).buffer);
          cache.set(encoding, compressed);
        }
        const body = await compressed;
        const headers = new fetchAPI.Headers(response.headers);
        headers.set('content-encoding', encoding);
        headers.set('content-length', String(body.byteLength));
        headers.append('vary', 'Accept-Encoding');
        setResponse(new fetchAPI.Response(body, { status: response.status, headers }));
      });
    },
  };
}
