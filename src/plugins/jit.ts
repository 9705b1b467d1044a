/**
 * Executes operations with graphql-jit: each distinct document is compiled once to a plain JS
 * function (cached alongside Yoga's parse/validate cache). Measured in bench/README.md: it is the
 * largest single CPU saving on the request path. Documents graphql-jit cannot compile fall back
 * to an error result, logged here; none of this schema's do (the whole suite runs under JIT).
 *
 * Some documents run on graphql-js instead (decided once per document, docs/architecture.md
 * "graphql-jit and its exclusions"):
 *  - subscriptions (see `enableIf` below);
 *  - documents using `@defer` or `@stream`: graphql-jit has no incremental delivery, Yoga's
 *    default executor (@graphql-tools/executor) has;
 *  - documents that select a list whose items are resolved one promise each (LISTS_OF_PROMISES),
 *    wherever it sits in the document (fragments included). graphql-jit 0.8.7 writes a resolved
 *    item at its index (`resultArray[idx] = …`) but a rejected one with `resultArray.push(null)`
 *    (dist/execution.js, the list's `MapHandler`): at the end of the array as it is when the
 *    rejection lands, not at the item's index. When a later item fails before earlier ones have
 *    resolved — 40 `_entities` representations, a budget of 25: items 26-40 fail with
 *    QUERY_TOO_COMPLEX at once while items 1-25 wait 20 ms for the upstream — the nulls land on
 *    indexes the pending items then overwrite, and the list comes back short (33 entries for 40)
 *    with the survivors shifted. A router matches entities to representations by index, so a
 *    short list is corruption, not a partial answer. graphql-js completes lists by index.
 *  Lists resolved as one promise of an array (connections, `events`) are not affected and stay
 *  on JIT, and so does the hot path (`chatSessions`).
 */
import { useGraphQlJit } from '@envelop/graphql-jit';
import { Kind, TypeInfo, getNamedType, visit, visitWithTypeInfo } from 'graphql';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { Logger } from '../logger.js';

/**
 * Fields (schema coordinates) whose resolver returns an array of promises, one per item, any of
 * which may reject on its own: `_entities` (@apollo/subgraph's resolver maps each representation
 * to its own `resolveReference` promise). `nodes` is not one: Pothos resolves it as one promise
 * of an array, and a failed id is returned as its Error (src/schema/chat-session.ts), which
 * graphql-jit completes at the right index. A new such field belongs here;
 * test/integration/exact-lists.test.ts is the regression test, run under JIT.
 */
export const LISTS_OF_PROMISES: ReadonlySet<string> = new Set(['Query._entities']);

/**
 * Whether the document must run on graphql-js: it selects one of LISTS_OF_PROMISES anywhere (its
 * fragments included), or uses `@defer`/`@stream`.
 */
export function selectsListOfPromises(schema: GraphQLSchema, document: DocumentNode): boolean {
  const typeInfo = new TypeInfo(schema);
  let found = false;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Directive(node) {
        if (node.name.value === 'defer' || node.name.value === 'stream') found = true;
      },
      Field(node) {
        const parent = typeInfo.getParentType();
        if (parent && LISTS_OF_PROMISES.has(`${getNamedType(parent).name}.${node.name.value}`)) {
          found = true;
        }
      },
    }),
  );
  return found;
}

const hasSubscription = (document: DocumentNode) =>
  document.definitions.some(
    (definition) =>
      definition.kind === Kind.OPERATION_DEFINITION && definition.operation === 'subscription',
  );

export function useJitExecution(logger: Logger) {
  const excluded = new WeakMap<DocumentNode, boolean>();
  return useGraphQlJit(
    {},
    {
      enableIf: ({ schema, document }) => {
        // Decided once per document, off the per-request path. Subscriptions run on graphql-js:
        // graphql-jit's compiled subscribe hands the operation's variables to the subscription
        // field as its arguments (chatTurn saw `{ id }` instead of `{ sessionId, prompt }`); a
        // subscription is compiled once per stream, not per item, so nothing is lost. Any
        // document holding a subscription is excluded whole (operations rarely share one).
        // Lists of promises and incremental delivery run on graphql-js: see the top of this file.
        let exclude = excluded.get(document);
        if (exclude === undefined) {
          exclude = hasSubscription(document) || selectsListOfPromises(schema, document);
          excluded.set(document, exclude);
        }
        return !exclude;
      },
      onError: (result) =>
        logger.error({ errors: result.errors }, 'graphql-jit could not compile an operation'),
    },
  );
}
