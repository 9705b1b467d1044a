/**
 * CSRF prevention (docs/architecture.md, "Security"): no operation runs from a request a browser
 * can send cross-site without a CORS preflight. GET, and POST whose content type is missing,
 * `text/plain`, `application/x-www-form-urlencoded` or `multipart/form-data`, must carry one of
 * the non-simple headers that Yoga's and Apollo's tooling already send; JSON POSTs (every GraphQL
 * client, the bundled GraphiQL) need nothing. The gateway may hold a server key: without this, a
 * hostile page could make a visitor's browser spend it.
 *
 * Yoga's own plugin decides; this wrapper only gives its refusal the documented
 * `extensions.code` (the plugin's error has none).
 */
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { createGraphQLError } from 'graphql-yoga';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode } from '../errors.js';

/** Yoga's header, Apollo Server's and Apollo Client's (sent with persisted queries over GET). */
export const CSRF_HEADERS = [
  'x-graphql-yoga-csrf',
  'apollo-require-preflight',
  'x-apollo-operation-name',
] as const;

export function useCsrfPrevention(): Plugin {
  const { onRequestParse } = useCSRFPrevention({ requestHeaders: [...CSRF_HEADERS] });
  return {
    onRequestParse(payload) {
      try {
        return onRequestParse?.(payload);
      } catch {
        throw createGraphQLError(
          `This request could have been sent cross-site by a web page: send a JSON POST, or add one of the headers ${CSRF_HEADERS.join(', ')}.`,
          { extensions: { http: { status: 403 }, code: ErrorCode.CSRF_PREVENTED } },
        );
      }
    },
  };
}
