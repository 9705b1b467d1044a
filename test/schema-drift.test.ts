/**
 * The committed schema files must match the code (run `npm run schema:print` after a schema
 * change): subgraph.graphql (the federation subgraph SDL), schema.graphql (the client schema)
 * and possible-types.json. Everything in the client schema must be described.
 */
import { readFileSync } from 'node:fs';
import {
  buildSchema as buildSchemaFromSdl,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  isSpecifiedScalarType,
  printSchema,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { SCHEMA_FILES } from '../scripts/schema-file.js';

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');

describe.each(Object.entries(SCHEMA_FILES))('%s', (file, print) => {
  it('matches the code (run `npm run schema:print` if this fails)', () => {
    expect(read(file)).toBe(print());
  });
});

describe('subgraph.graphql', () => {
  const subgraph = read('subgraph.graphql');

  it('is a Federation 2 subgraph SDL with its @link, keys and demand-control directives', () => {
    expect(subgraph).toMatch(
      /^extend schema\s+@link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.(9|1\d)", import: \["@cost", "@key", "@listSize", "@shareable"\]\)/,
    );
    expect(subgraph).toContain('type ChatSession implements Node\n  @key(fields: "sessionId")');
    expect(subgraph).toContain('type Project\n  @key(fields: "id")');
    expect(subgraph).toContain('type Index\n  @key(fields: "id", resolvable: false)');
    expect(subgraph).toContain('type PageInfo\n  @shareable');
  });

  it('prices every field that calls the upstream, and sizes the connections by `first`', () => {
    // events, the 2 mutations, the 2 connections, node, nodes, chatSession and chatTurn.
    expect(subgraph.match(/@cost\(weight: 10\)/g)).toHaveLength(9);
    const listSize =
      '@listSize(assumedSize: 20, slicingArguments: ["first"], sizedFields: ["edges"], requireOneSlicingArgument: false)';
    expect(subgraph.split(listSize)).toHaveLength(3); // Query.chatSessions and Project.chatSessions
    expect(subgraph).toContain('events: [ChatEvent!] @cost(weight: 10)');
  });
});

describe('schema.graphql (the client schema)', () => {
  const client = read('schema.graphql');

  it('has no federation machinery and loads as is in graphql-js', () => {
    for (const name of [
      '_entities',
      '_service',
      '_Any',
      '_Entity',
      '_Service',
      '@link',
      '@key',
      '@shareable',
      '@cost',
      '@listSize',
      'link__',
      'federation__',
      'FieldSet',
      'extend schema',
      'directive @',
    ])
      expect(client, name).not.toContain(name);
    const schema = buildSchemaFromSdl(client);
    expect(`${printSchema(schema)}\n`).toBe(client);
    expect(Object.keys(schema.getQueryType()!.getFields())).toEqual([
      'node',
      'nodes',
      'chatSession',
      'chatSessions',
    ]);
  });

  it('describes every type, field, argument and enum value', () => {
    const missing: string[] = [];
    for (const type of Object.values(buildSchemaFromSdl(client).getTypeMap())) {
      if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
      if (!type.description) missing.push(type.name);
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
          for (const arg of 'args' in field ? field.args : []) {
            if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
          }
        }
      }
      if (isEnumType(type)) {
        for (const value of type.getValues())
          if (!value.description) missing.push(`${type.name}.${value.name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('possible-types.json', () => {
  it("lists every implementation of ChatEvent and Node, for the clients' caches", () => {
    const possible = JSON.parse(read('possible-types.json')) as Record<string, string[]>;
    expect(Object.keys(possible)).toEqual(['ChatEvent', 'Node']);
    expect(possible.Node).toEqual(['ChatSession']);
    expect(possible.ChatEvent).toContain('UnknownChatEvent');
    expect(possible.ChatEvent).toHaveLength(9);
  });
});
