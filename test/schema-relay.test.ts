/**
 * schema.graphql is a client schema relay-compiler loads as is: a tiny Relay project (a
 * connection, a @refetchable fragment on a Node, the ChatEvent interface) compiles against it with
 * no error (the subgraph SDL, with federation's `@link` and `@key`, made relay-compiler 21 panic).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const RELAY_COMPILER = fileURLToPath(
  new URL('../node_modules/.bin/relay-compiler', import.meta.url),
);
const SCHEMA = fileURLToPath(new URL('../schema.graphql', import.meta.url));

const SOURCE = `declare const graphql: (s: TemplateStringsArray) => unknown;

export const query = graphql\`
  query SessionsQuery($first: Int, $after: String) {
    chatSessions(first: $first, after: $after) @connection(key: "Sessions_chatSessions") {
      edges { node { id ...Sessions_session } }
    }
  }
\`;

export const fragment = graphql\`
  fragment Sessions_session on ChatSession @refetchable(queryName: "SessionsRefetchQuery") {
    sessionId
    generatedTitle
    jobMetadata { turns isError totalInputTokens }
    events {
      type
      ... on TextChatEvent { content }
      ... on ToolCallChatEvent { callId name arguments }
    }
  }
\`;
`;

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('schema.graphql with relay-compiler', () => {
  it('compiles a Relay project with no error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'relay-fixture-'));
    dirs.push(dir);
    await mkdir(join(dir, 'src', '__generated__'), { recursive: true });
    await writeFile(
      join(dir, 'relay.config.json'),
      JSON.stringify({
        src: './src',
        schema: SCHEMA,
        language: 'typescript',
        artifactDirectory: './src/__generated__',
      }),
    );
    await writeFile(join(dir, 'src', 'Sessions.ts'), SOURCE);

    const { stdout, stderr } = await promisify(execFile)(RELAY_COMPILER, [], {
      cwd: dir,
      timeout: 60_000,
    });
    const output = `${stdout}\n${stderr}`;
    expect(output).not.toMatch(/ERROR|panicked|error/);
    expect(output).toContain('Compilation completed');
    const artifacts = (await readdir(join(dir, 'src', '__generated__'))).sort();
    expect(artifacts).toEqual([
      'SessionsQuery.graphql.ts',
      'SessionsRefetchQuery.graphql.ts',
      'Sessions_session.graphql.ts',
    ]);
    const refetch = await readFile(join(dir, 'src', '__generated__', artifacts[1]!), 'utf8');
    expect(refetch).toContain('node(id: $id)');
  });
});
