import { printSubgraphSchema } from '@apollo/subgraph';
import {
  buildASTSchema,
  isAbstractType,
  isSpecifiedDirective,
  parse,
  printSchema,
  specifiedDirectives,
  visit,
} from 'graphql';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { buildSchema } from '../src/schema/index.js';

/**
 * The committed schema files, exactly as printed (shared by `npm run schema:print` and the drift
 * test). Two SDLs of the same schema:
 *
 * - `subgraph.graphql`: the subgraph SDL with its federation `@link`, `@key`, `@shareable`,
 *   `@cost` and `@listSize`: what `_service { sdl }` serves and what composition (rover, the
 *   tests) reads.
 * - `schema.graphql`: the client schema, what clients can query, for graphql-js, relay-compiler
 *   and codegen: the subgraph SDL without its federation machinery (the `@link`, every directive
 *   usage but the spec's own, and anything named by federation). The router-only root fields
 *   `_service`/`_entities` and their types are not in the subgraph SDL to begin with.
 * - `possible-types.json`: each abstract type's implementations, for Apollo Client's
 *   `possibleTypes` and graphcache's `possibleTypes`.
 */
export const SCHEMA_FILES = {
  'subgraph.graphql': printSubgraphFile,
  'schema.graphql': printClientSchemaFile,
  'possible-types.json': printPossibleTypesFile,
} as const;

export function printSubgraphFile(): string {
  return `${printSubgraphSchema(buildSchema())}\n`;
}

/** Names federation (and the link spec) define, never part of the client schema. */
const isFederationName = (name: string) =>
  name.startsWith('_') || name.startsWith('link__') || name.startsWith('federation__');

const SPEC_DIRECTIVES = new Set(specifiedDirectives.map((d) => d.name));

/** The subgraph SDL without anything federation adds (see above). */
export function clientSchemaDocument(subgraphSdl: string): DocumentNode {
  const stripped = visit(parse(subgraphSdl), {
    SchemaExtension: () => null,
    SchemaDefinition: () => null,
    DirectiveDefinition: () => null,
    Directive: (node) => (SPEC_DIRECTIVES.has(node.name.value) ? undefined : null),
    FieldDefinition: (node) => (isFederationName(node.name.value) ? null : undefined),
  });
  return {
    ...stripped,
    definitions: stripped.definitions.filter(
      (d) => !('name' in d && d.name && isFederationName(d.name.value)),
    ),
  };
}

export function buildClientSchema(): GraphQLSchema {
  return buildASTSchema(clientSchemaDocument(printSubgraphFile()));
}

export function printClientSchemaFile(): string {
  const schema = buildClientSchema();
  // Only the spec's directives are defined, so printSchema prints no directive definitions.
  if (!schema.getDirectives().every(isSpecifiedDirective))
    throw new Error('client schema defines a directive of its own');
  return `${printSchema(schema)}\n`;
}

/** `{ "ChatEvent": ["StopChatEvent", ...], "Node": ["ChatSession"] }`, sorted. */
export function possibleTypes(schema: GraphQLSchema = buildClientSchema()) {
  const result: Record<string, string[]> = {};
  for (const type of Object.values(schema.getTypeMap()).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    if (!isAbstractType(type)) continue;
    result[type.name] = schema
      .getPossibleTypes(type)
      .map((t) => t.name)
      .sort();
  }
  return result;
}

export function printPossibleTypesFile(): string {
  return `${JSON.stringify(possibleTypes(), null, 2)}\n`;
}
