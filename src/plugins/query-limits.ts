/**
 * GraphQL-level limits from @escape.tech/graphql-armor, with defaults that every reasonable
 * client query stays far below (see the README's "Limits"): the largest query the schema
 * allows without aliases has depth 5; the GraphiQL example costs ~313; GraphiQL's
 * introspection query has ~190 tokens; ten aliased full-field `chatSessions(first: 100)`
 * cost ~79,400 and have ~380 tokens. Rejections carry `extensions.code: QUERY_TOO_COMPLEX`.
 */
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { ErrorCode, gatewayError } from '../errors.js';

export const QUERY_LIMITS = {
  /** Field nesting; fragments are flattened and `__schema` introspection is not counted. */
  maxDepth: 10,
  /** Aliased fields in one operation (`__typename` aliases are free). */
  maxAliases: 30,
  /** Lexical tokens in the document (bounds parser work; comments are free). */
  maxTokens: 2_000,
  /** graphql-armor's cost: objects 2, scalars 1, x1.5 per level, x`first` (literal) per list. */
  maxCost: 100_000,
  /** Directives in one operation. */
  maxDirectives: 50,
} as const;

type ArmorConfig = NonNullable<Parameters<typeof EnvelopArmorPlugin>[0]>;
type RejectCallback = NonNullable<NonNullable<ArmorConfig['maxDepth']>['onReject']>[number];

/** armor's own errors have no code and a misleading "Syntax Error: " prefix. */
const reject: RejectCallback = (context, error) => {
  const tooComplex = gatewayError(
    ErrorCode.QUERY_TOO_COMPLEX,
    error.message.replace(/^Syntax Error: /, ''),
  );
  // Validation rules report through the context; the token limit runs in the parser (no
  // context), where throwing is the only way out and Yoga keeps our code.
  if (context) context.reportError(tooComplex);
  else throw tooComplex;
};

const onRejection = { propagateOnRejection: false, onReject: [reject] };

export const COST_OPTIONS = {
  maxCost: QUERY_LIMITS.maxCost,
  flattenFragments: true,
  ignoreIntrospection: true,
  ...onRejection,
};

export function useQueryLimits() {
  return EnvelopArmorPlugin({
    // Suggestions ("Did you mean …?") stay: introspection and GraphiQL are public anyway.
    blockFieldSuggestion: { enabled: false },
    maxDepth: {
      n: QUERY_LIMITS.maxDepth,
      flattenFragments: true,
      ignoreIntrospection: true,
      ...onRejection,
    },
    maxAliases: { n: QUERY_LIMITS.maxAliases, ...onRejection },
    maxTokens: { n: QUERY_LIMITS.maxTokens, ...onRejection },
    costLimit: COST_OPTIONS,
    maxDirectives: { n: QUERY_LIMITS.maxDirectives, ...onRejection },
  });
}
