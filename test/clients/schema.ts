/**
 * The client's view of the schema, derived from the Pothos schema for the client tests.
 *
 * TEMPORARY until the client-schema work is merged: in this branch `schema.graphql` is still the
 * subgraph SDL (`@link`, `@key`, which relay-compiler rejects) and there is no
 * `possible-types.json`. Once both are committed, the tests should read those files instead:
 * `CLIENT_SCHEMA_FILE` becomes the repository's `schema.graphql` and `clientPossibleTypes()` the
 * parsed `possible-types.json`.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAbstractType, parse, print, printSchema } from 'graphql';
import type { DocumentNode } from 'graphql';
import { buildSchema } from '../../src/schema/index.js';

/** `buildSchema()` without Federation's `_service`, `_entities`, `_Entity`, `_Any`, `_Service`. */
export function printClientSchema(): string {
  const document = parse(printSchema(buildSchema()));
  const definitions = document.definitions
    .filter((def) => !('name' in def && def.name?.value.startsWith('_')))
    .map((def) =>
      def.kind === 'ObjectTypeDefinition' && def.name.value === 'Query'
        ? { ...def, fields: def.fields?.filter((field) => !field.name.value.startsWith('_')) }
        : def,
    );
  return `${print({ ...document, definitions } as DocumentNode)}\n`;
}

/** Writes the client schema to a new temporary directory and returns the file's path. */
export function writeClientSchema(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'client-schema-')), 'schema.graphql');
  writeFileSync(file, printClientSchema());
  return file;
}

/** Apollo's `possibleTypes` (the content of possible-types.json): each interface or union → its types. */
export function clientPossibleTypes(): Record<string, string[]> {
  const schema = buildSchema();
  const possibleTypes: Record<string, string[]> = {};
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isAbstractType(type) || type.name.startsWith('_')) continue;
    possibleTypes[type.name] = schema
      .getPossibleTypes(type)
      .map((t) => t.name)
      .sort();
  }
  return possibleTypes;
}

/**
 * The schema file client compilers read: the repository's schema.graphql once it is the client
 * schema (no Federation `@link`), else a client schema generated into a temporary directory.
 */
export function clientSchemaFile(): string {
  const committed = new URL('../../schema.graphql', import.meta.url).pathname;
  return readFileSync(committed, 'utf8').includes('@link(') ? writeClientSchema() : committed;
}
