/**
 * schema.graphql is the printed subgraph SDL: it must match the code (run `npm run schema:print`
 * after a schema change), and everything in it must be described.
 */
import { readFileSync } from 'node:fs';
import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  isSpecifiedScalarType,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { printSchemaFile } from '../scripts/schema-file.js';
import { buildSchema } from '../src/schema/index.js';

const committed = readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8');

describe('schema.graphql', () => {
  it('matches the code (run `npm run schema:print` if this fails)', () => {
    expect(committed).toBe(printSchemaFile());
  });

  it('is a Federation 2 subgraph SDL with its @link', () => {
    expect(committed).toMatch(
      /^extend schema\s+@link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.\d+"/,
    );
    expect(committed).toContain('type ChatSession implements Node\n  @key(fields: "sessionId")');
    expect(committed).toContain('type Project\n  @key(fields: "id")');
    expect(committed).toContain('type Index\n  @key(fields: "id", resolvable: false)');
  });

  it('describes every type, field and argument of its own', () => {
    const missing: string[] = [];
    for (const type of Object.values(buildSchema().getTypeMap())) {
      // Federation's own types (_Service, _Any, ...) and GraphQL's built-ins are not ours.
      if (type.name.startsWith('_') || isIntrospectionType(type) || isSpecifiedScalarType(type))
        continue;
      if (!type.description) missing.push(type.name);
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (field.name.startsWith('_')) continue;
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
