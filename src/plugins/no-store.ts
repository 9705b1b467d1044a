/**
 * `Cache-Control: private, no-store` on GET responses: a GraphQL GET is cacheable by default, but
 * its answer depends on the caller's credential, so no browser or shared cache may keep it. The
 * GraphiQL page (HTML, the same for everyone) and a Cache-Control set by another hook are left.
 */
import type { Plugin } from 'graphql-yoga';

export const NO_STORE = 'private, no-store';

/**
 * A header by name, whatever its case: the Headers of a Response built from an object literal
 * (Yoga's GraphiQL page: `'Content-Type'`) do not always answer `get` in lower case.
 */
function header(headers: Headers, name: string): string | undefined {
  for (const [key, value] of headers) if (key.toLowerCase() === name) return value;
  return undefined;
}

export function useNoStoreOnGet(): Plugin {
  return {
    onResponse({ request, response }) {
      if (request.method !== 'GET' || header(response.headers, 'cache-control') !== undefined)
        return;
      if (header(response.headers, 'content-type')?.startsWith('text/html')) return;
      response.headers.set('cache-control', NO_STORE);
    },
  };
}
