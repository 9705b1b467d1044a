/** The one Pothos builder. Types register themselves on it from one file per type family. */
import SchemaBuilder from '@pothos/core';
import DirectivesPlugin from '@pothos/plugin-directives';
import FederationPlugin from '@pothos/plugin-federation';
import RelayPlugin from '@pothos/plugin-relay';
import type { GatewayContext } from '../context.js';
import { decodeNodeId } from './global-id.js';

export interface GatewaySchemaTypes {
  Context: GatewayContext;
  Scalars: {
    /** RFC 3339 UTC strings, kept as strings so microseconds survive. */
    DateTime: { Input: string; Output: string };
    SafeInt: { Input: number; Output: number };
    /** Free-form JSON from the upstream (tool arguments and results, unknown events). */
    JSON: { Input: unknown; Output: unknown };
  };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
}

/**
 * Demand control (`@cost`/`@listSize` of federation v2.9, printed in subgraph.graphql only) for
 * routers that price operations: a field that makes an upstream call weighs this much (Apollo's
 * default is 1 per object, 10 per mutation), so an operation's price follows its upstream calls.
 */
export const UPSTREAM_CALL_COST = 10;

/**
 * `@listSize` of the chat-session connections: `first` sizes `edges`; without it the page is
 * DEFAULT_PAGE_SIZE (20 unless configured), so `first` is not required.
 */
export const CONNECTION_LIST_SIZE = {
  assumedSize: 20,
  slicingArguments: ['first'],
  sizedFields: ['edges'],
  requireOneSlicingArgument: false,
};

export const builder = new SchemaBuilder<GatewaySchemaTypes>({
  // Directives turns the federation directives into AST nodes, which the subgraph SDL printer reads.
  plugins: [DirectivesPlugin, RelayPlugin, FederationPlugin],
  // Fields are non-null unless they say otherwise; root fields opt in to null (docs/architecture.md, "Errors").
  defaultFieldNullability: false,
  relay: {
    decodeGlobalID: decodeNodeId,
    nodeTypeOptions: {
      description: 'An object with a global id, refetchable with `node(id:)` (Relay).',
    },
    idFieldOptions: {
      description: 'Global id of this object: pass it to `node(id:)` or `nodes(ids:)`.',
    },
    nodeQueryOptions: {
      cost: UPSTREAM_CALL_COST,
      description:
        'Fetches any object by its global id; null when it does not exist. A malformed id is BAD_USER_INPUT.',
      args: { id: { description: 'A global id (the `id` field of a Node).' } },
    },
    nodesQueryOptions: {
      cost: UPSTREAM_CALL_COST,
      // At most MAX_PAGE_SIZE ids (100 unless configured), one upstream call each.
      listSize: { assumedSize: 100 },
      // Nullable list, like every root field: one bad id must not null the whole response.
      nullable: { list: true, items: true },
      description:
        'Fetches objects by global id, in the order given (a repeated id is fetched once); null entries for ids that do not exist. Any malformed id makes the whole field BAD_USER_INPUT, and more than MAX_PAGE_SIZE ids (the limit of every list argument) the whole operation; no upstream call is made.',
      args: { ids: { description: 'Global ids (the `id` field of Nodes).' } },
    },
    // Non-null edges and nodes: a connection never holds holes, so clients need no null checks.
    edgesFieldOptions: { nullable: false, description: 'The items of this page, in list order.' },
    nodeFieldOptions: { nullable: false, description: 'The item at the end of this edge.' },
    mutationInputArgOptions: {
      description: "The mutation's arguments, in one input object (Relay's mutation convention).",
    },
    cursorType: 'String',
    cursorFieldOptions: {
      description: 'Opaque cursor: pass it as `after` to continue right after this item.',
    },
    pageInfoFieldOptions: { description: 'Where this page sits in the whole list.' },
    pageInfoTypeOptions: {
      description: 'Relay page information (forward pagination: pass `endCursor` as `after`).',
      // Relay's PageInfo is the same value type in every subgraph that pages.
      shareable: true,
    },
    hasNextPageFieldOptions: { description: 'Whether more items follow this page.' },
    hasPreviousPageFieldOptions: {
      description: 'Whether items precede this page (true when `after` was given).',
    },
    startCursorFieldOptions: {
      description: 'Cursor of the first edge; null when there are no edges.',
    },
    endCursorFieldOptions: {
      description:
        'Cursor of the last edge; null when there are no edges. At an upstream page boundary it carries the upstream `next_page_token`.',
    },
  },
});

builder.queryType({
  description: 'Chat sessions of the LlamaCloud Chat API.',
});
