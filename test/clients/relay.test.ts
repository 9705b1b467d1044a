/**
 * Relay: relay-compiler compiles a query and a `@refetchable` pagination fragment with
 * `@connection` (in a temporary project whose relay.config.json points at the client schema),
 * then relay-runtime executes the compiled artifacts against the real stack and pages through the
 * default project the way `usePaginationFragment` does: the generated pagination query with
 * `after: endCursor`, merged by the ConnectionHandler into the connection. The fragment then
 * holds every session exactly once, in upstream order, with no warnings.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  Environment,
  Network,
  RecordSource,
  Store,
  createOperationDescriptor,
  fetchQuery,
  getSelector,
} from 'relay-runtime';
import type {
  ConcreteRequest,
  FetchFunction,
  ReaderFragment,
  SingularReaderSelector,
} from 'relay-runtime';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startStack } from '../support/stack.js';
import type { AnyData, Stack } from '../support/stack.js';
import { CLIENT_SCHEMA_FILE } from './schema.js';
import { defaultProject, expectedSessionIds, recordConsole, recordingFetch } from './support.js';

const RELAY_COMPILER = new URL('../../node_modules/.bin/relay-compiler', import.meta.url).pathname;

/** The application source relay-compiler reads: what a component file would hold. */
const SOURCE = /* JavaScript */ `
graphql\`
  query RelaySessionsQuery($first: Int!, $after: String) {
    ...RelaySessions_query @arguments(first: $first, after: $after)
  }
\`;

graphql\`
  fragment RelaySessions_query on Query
  @refetchable(queryName: "RelaySessionsPaginationQuery")
  @argumentDefinitions(first: { type: "Int!" }, after: { type: "String" }) {
    chatSessions(first: $first, after: $after) @connection(key: "RelaySessions_chatSessions") {
      edges {
        node {
          id
          sessionId
          generatedTitle
          lastUpdatedAt
          jobMetadata {
            isError
            turns
            totalInputTokens
          }
        }
      }
    }
  }
\`;
`;

let stack: Stack;
let dir: string;
let artifacts: {
  query: ConcreteRequest;
  paginationQuery: ConcreteRequest;
  fragment: ReaderFragment;
};
let consoleRecorder: ReturnType<typeof recordConsole>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'relay-client-'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'sessions.js'), SOURCE);
  writeFileSync(
    join(dir, 'relay.config.json'),
    JSON.stringify({
      src: './src',
      schema: CLIENT_SCHEMA_FILE,
      language: 'javascript',
      // CommonJS artifacts (`require('./X.graphql')`), loaded below with require.
      eagerEsModules: false,
    }),
  );
  await promisify(execFile)(RELAY_COMPILER, [], { cwd: dir });
  const require = createRequire(join(dir, 'src', '__generated__', 'index.js'));
  artifacts = {
    query: require('./RelaySessionsQuery.graphql.js') as ConcreteRequest,
    paginationQuery: require('./RelaySessionsPaginationQuery.graphql.js') as ConcreteRequest,
    fragment: require('./RelaySessions_query.graphql.js') as ReaderFragment,
  };
  stack = await startStack();
}, 60_000);
afterAll(async () => {
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  consoleRecorder = recordConsole();
});
afterEach(() => consoleRecorder.restore());

describe('Relay', () => {
  it('compiles a @refetchable @connection fragment and pages through it with relay-runtime', async () => {
    const recorder = recordingFetch();
    const fetchFn: FetchFunction = async (params, variables) => {
      const res = await recorder.fetch(`${stack.gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ query: params.text, variables }),
      });
      return res.json();
    };
    // The default handlerProvider includes the ConnectionHandler for @connection fields.
    const environment = new Environment({
      network: Network.create(fetchFn),
      store: new Store(new RecordSource()),
    });

    const first = 50;
    const operation = createOperationDescriptor(artifacts.query, { first, after: null });
    const retained = environment.retain(operation);
    await fetchQuery(environment, artifacts.query, { first, after: null }).toPromise();
    // What the component would get from useFragment / usePaginationFragment.
    const fragmentRef = environment.lookup(operation.fragment).data as AnyData;
    const selector = getSelector(artifacts.fragment, fragmentRef) as SingularReaderSelector;
    const read = () => environment.lookup(selector).data as AnyData;

    let pages = 1;
    while (read().chatSessions.pageInfo.hasNextPage) {
      // usePaginationFragment's loadNext: the generated refetch query, from the end cursor.
      await fetchQuery(environment, artifacts.paginationQuery, {
        first,
        after: read().chatSessions.pageInfo.endCursor,
      }).toPromise();
      pages += 1;
      expect(read().chatSessions.edges).toHaveLength(
        Math.min(pages * first, defaultProject.sessionCount),
      );
    }
    expect(pages).toBe(Math.ceil(defaultProject.sessionCount / first));
    expect(recorder.requests).toHaveLength(pages);

    const edges = read().chatSessions.edges as AnyData[];
    const ids = edges.map((edge) => edge.node.sessionId as string);
    expect(ids).toEqual(expectedSessionIds(stack));
    expect(new Set(ids).size).toBe(defaultProject.sessionCount);
    expect(new Set(edges.map((edge) => edge.node.id)).size).toBe(defaultProject.sessionCount);
    expect(edges.find((edge) => edge.node.jobMetadata)?.node.jobMetadata).toMatchObject({
      isError: expect.any(Boolean),
      turns: expect.any(Number),
    });
    retained.dispose();

    expect(consoleRecorder.messages).toEqual([]);
  });
});
