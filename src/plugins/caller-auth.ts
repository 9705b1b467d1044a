/**
 * Caller authentication over HTTP (docs/architecture.md, "Callers"): every GraphQL request
 * (POST, GET, SSE) needs `Authorization: Bearer <JWT>` verified by src/auth/verify.ts before it
 * is parsed, so a refused request costs no parsing and no upstream call. The health and readiness
 * probes, CORS preflights and the GraphiQL page are answered before this hook and stay open;
 * GraphiQL's own operations need the token. graphql-ws verifies at `connection_init` instead
 * (src/transport/graphql-ws.ts).
 */
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { attachCaller } from '../auth/caller.js';
import { CallerAuthError } from '../auth/errors.js';
import type { CallerAuthenticator } from '../auth/verify.js';
import { codedError } from '../errors.js';

/**
 * The coded UNAUTHENTICATED error of a refused request, answered with 401 and RFC 6750's
 * `WWW-Authenticate` (the `http` extension is read by Yoga and never sent to the client).
 */
function refusal(error: CallerAuthError): GraphQLError {
  const coded = codedError(error)!;
  const challenge = error.failure === 'missing' ? 'Bearer' : 'Bearer error="invalid_token"';
  return new GraphQLError(coded.message, {
    extensions: {
      ...coded.extensions,
      http: { status: 401, headers: { 'www-authenticate': challenge } },
    },
  });
}

export function useCallerAuthentication({
  authenticator,
}: {
  authenticator: CallerAuthenticator;
}): Plugin {
  return {
    async onRequestParse({ request }) {
      try {
        attachCaller(
          request,
          await authenticator.authenticate(request.headers.get('authorization')),
        );
      } catch (error) {
        throw error instanceof CallerAuthError ? refusal(error) : error;
      }
    },
  };
}
