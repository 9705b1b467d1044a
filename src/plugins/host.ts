/**
 * Host allow-list (ALLOWED_HOSTS; docs/architecture.md, "Security"): a request whose Host header
 * names another host gets 421 before any work. Without it, a DNS-rebinding page (its own name
 * resolving to this gateway) is same-origin for the browser and can read answers made with the
 * server key. Health and readiness probes are exempt: Kubernetes sends the pod's IP as Host, and
 * they reveal nothing.
 */
import type { Plugin } from 'graphql-yoga';
import { normaliseHostName } from '../config.js';
import { ErrorCode } from '../errors.js';

export interface HostAllowListOptions {
  /** Normalised host names (see normaliseHostName), or `['*']` for any. */
  allowedHosts: readonly string[];
  /** Paths served whatever the Host (probes). */
  exemptPaths: readonly string[];
}

/** `example.com:4000` -> `example.com`, `[::1]:4000` -> `[::1]`; undefined when malformed. */
export function hostName(header: string | null): string | undefined {
  if (!header) return undefined;
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::\d{1,5})?$/i.exec(header.trim());
  return match ? normaliseHostName(match[1]!) : undefined;
}

export function useHostAllowList({ allowedHosts, exemptPaths }: HostAllowListOptions): Plugin {
  if (allowedHosts.includes('*')) return {};
  const allowed = new Set(allowedHosts);
  const exempt = new Set(exemptPaths);
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      const host = hostName(request.headers.get('host'));
      if (host !== undefined && allowed.has(host)) return;
      // A probe, only when Yoga will answer it as one: its health check matches the end of the
      // whole URL, so `/health?/graphql` is a GraphQL request and gets no exemption.
      if (exempt.has(url.pathname) && url.search === '') return;
      const body = {
        errors: [
          {
            message:
              'This gateway does not answer to that Host name (ALLOWED_HOSTS on the gateway lists the names it serves).',
            extensions: { code: ErrorCode.HOST_NOT_ALLOWED },
          },
        ],
      };
      endResponse(
        new fetchAPI.Response(JSON.stringify(body), {
          status: 421,
          headers: { 'content-type': 'application/json; charset=utf-8' },
        }),
      );
    },
  };
}
