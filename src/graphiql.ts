/**
 * GraphiQL from local assets only: @graphql-yoga/render-graphiql inlines the editor, its CSS and
 * its workers into one HTML page, so it works offline and behind firewalls (Yoga's default
 * loads them from a CDN). Rendered once: the page is ~9 MB of JS.
 *
 * That module is loaded on the first GraphiQL request, not at start-up: importing it costs ~45 MB
 * of RSS (its ~9 MB of inlined source), which API-only traffic never needs (bench/README.md).
 */
import type { GraphiQLOptions } from 'graphql-yoga';

export const EXAMPLE_QUERY = `# Chat sessions of the default project, 5 at a time.
# Run it, then pass pageInfo.endCursor as "after" for the next page.
query RecentChatSessions($after: String) {
  chatSessions(first: 5, after: $after) {
    edges {
      node {
        sessionId
        generatedTitle
        lastUpdatedAt
        indexIds
        jobMetadata {
          isError
          error
          turns
          totalInputTokens
          totalOutputTokens
        }
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
`;

export const graphiqlOptions: GraphiQLOptions = {
  title: 'LlamaCloud chat sessions — GraphiQL',
  defaultQuery: EXAMPLE_QUERY,
};

let rendered: Promise<string> | undefined;

export function renderLocalGraphiQL(options: GraphiQLOptions): Promise<string> {
  // Options are fixed per process, so one rendering serves every request.
  rendered ??= import('@graphql-yoga/render-graphiql').then(
    ({ renderGraphiQL }) => renderGraphiQL(options),
    (error: unknown) => {
      rendered = undefined; // let the next request try again
      throw error;
    },
  );
  return rendered;
}
