import { GraphQLError, Kind } from 'graphql';
import { JSONResolver, SafeIntResolver } from 'graphql-scalars';
import { toRfc3339Utc } from '../upstream/timestamps.js';
import { builder } from './builder.js';

function parseDateTime(value: unknown): string {
  const normalised = typeof value === 'string' ? toRfc3339Utc(value) : null;
  if (normalised === null) {
    throw new GraphQLError('DateTime must be an RFC 3339 date-time string', {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return normalised;
}

export const DateTime = builder.scalarType('DateTime', {
  description:
    'An RFC 3339 date-time in UTC, e.g. "2026-04-22T12:34:41.342245Z". Fractional seconds are kept to the precision the upstream sends (microseconds for LlamaCloud).',
  specifiedByURL: 'https://datatracker.ietf.org/doc/html/rfc3339',
  serialize: (value) => value,
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(ast.kind === Kind.STRING ? ast.value : null),
});

export const SafeInt = builder.addScalarType('SafeInt', SafeIntResolver, {
  description:
    'An integer between -(2^53 - 1) and 2^53 - 1, serialised as a JSON number. Used for int64 counters (tokens, turns) that can exceed the 32-bit GraphQL Int.',
});

export const JSONScalar = builder.addScalarType('JSON', JSONResolver, {
  description:
    'Any JSON value (object, array, string, number, boolean or null), passed through as the upstream sent it.',
});
