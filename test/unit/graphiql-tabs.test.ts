/**
 * GraphiQL's example tabs (src/graphiql.ts) must run as shipped: every tab's document is valid
 * against the gateway's schema, and its variables pane coerces to that document's variables.
 */
import { getVariableValues, Kind, parse, validate } from 'graphql';
import type { OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  EXAMPLE_QUERY,
  GRAPHIQL_TABS,
  SESSION_ID_PLACEHOLDER,
  graphiqlOptions,
} from '../../src/graphiql.js';
import { buildSchema } from '../../src/schema/index.js';

const schema = buildSchema();

function operationOf(query: string): OperationDefinitionNode {
  const operations = parse(query).definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  expect(operations).toHaveLength(1);
  return operations[0]!;
}

describe('GraphiQL example tabs', () => {
  it('open with the example query first, then create, chat turn and delete', () => {
    expect(graphiqlOptions.defaultTabs).toEqual(GRAPHIQL_TABS);
    expect(graphiqlOptions.defaultQuery).toBe(EXAMPLE_QUERY);
    const operations = GRAPHIQL_TABS.map((tab) => {
      const op = operationOf(tab.query);
      return `${op.operation} ${op.name?.value}`;
    });
    expect(operations).toEqual([
      'query RecentChatSessions',
      'mutation CreateChatSession',
      'subscription ChatTurn',
      'mutation DeleteChatSession',
    ]);
    expect(GRAPHIQL_TABS[0]!.query).toBe(EXAMPLE_QUERY);
  });

  it.each(GRAPHIQL_TABS.map((tab) => [operationOf(tab.query).name?.value, tab] as const))(
    '%s is valid against the schema, variables included',
    (_name, tab) => {
      const document = parse(tab.query);
      expect(validate(schema, document).map((e) => e.message)).toEqual([]);

      const variables: unknown = JSON.parse(tab.variables);
      expect(typeof variables).toBe('object');
      const coerced = getVariableValues(
        schema,
        operationOf(tab.query).variableDefinitions ?? [],
        variables as Record<string, unknown>,
      );
      expect(coerced.errors?.map((e) => e.message)).toBeUndefined();
      // No stray variables the operation does not declare.
      const declared = (operationOf(tab.query).variableDefinitions ?? []).map(
        (v) => v.variable.name.value,
      );
      expect(Object.keys(variables as object).every((key) => declared.includes(key))).toBe(true);
    },
  );

  it('tells the user where the sessionId comes from', () => {
    const [, create, turn, remove] = GRAPHIQL_TABS;
    expect(create!.query).toContain('sessionId');
    for (const tab of [turn!, remove!]) {
      expect(tab.query).toMatch(/^# Paste the sessionId from the CreateChatSession tab/m);
      expect(JSON.parse(tab.variables)).toMatchObject({ sessionId: SESSION_ID_PLACEHOLDER });
    }
    expect(turn!.query).toContain('... on TextDeltaChatEvent');
    expect(turn!.query).toContain('... on StopChatEvent');
  });

  it('sends subscriptions as JSON POSTs, which CSRF prevention lets through', () => {
    // GraphiQL's SSE executor would otherwise send subscriptions as GET (refused: CSRF_PREVENTED).
    expect(graphiqlOptions.method).toBe('POST');
    expect(graphiqlOptions.subscriptionsProtocol ?? 'SSE').toBe('SSE');
  });
});
