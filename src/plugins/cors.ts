/**
 * CORS from CORS_ORIGINS, through Yoga's `cors` option.
 *
 * Default (unset): no cross-origin access at all. The gateway may answer with the server-side
 * LLAMA_CLOUD_API_KEY, so letting any web page read its responses would hand that key's data to
 * every site a user visits. Same-origin use (GraphiQL, server-to-server clients) needs no CORS.
 *
 * An origin that is not allowed gets no CORS headers at all (never `Access-Control-Allow-Origin:
 * null`, which sandboxed pages would match). Cookies are never allowed: clients authenticate
 * with the Authorization header.
 */
import type { CORSOptions, Plugin } from 'graphql-yoga';

type CorsFactory = (request: Request) => CORSOptions;

export function corsOptions(allowedOrigins: readonly string[]): CorsFactory {
  const anyOrigin = allowedOrigins.includes('*');
  const allowed = new Set(allowedOrigins);
  return (request) => {
    const origin = request.headers.get('origin');
    if (origin === null || !(anyOrigin || allowed.has(origin))) return false;
    return {
      origin: [origin],
      methods: ['GET', 'POST'],
      credentials: false,
      exposedHeaders: ['x-request-id'],
      maxAge: 600,
    };
  };
}

/** Answers differ by Origin once CORS is configured: caches must keep them apart. */
export function useVaryOrigin(allowedOrigins: readonly string[]): Plugin {
  return {
    onResponse({ response }) {
      if (allowedOrigins.length === 0) return;
      const vary = response.headers.get('vary');
      if (!vary?.split(',').some((v) => v.trim().toLowerCase() === 'origin')) {
        response.headers.set('vary', vary ? `${vary}, Origin` : 'Origin');
      }
    },
  };
}
