/**
 * GraphiQL from local assets only: @graphql-yoga/render-graphiql inlines the editor, its CSS and
 * its workers into one HTML page, so it works offline and behind firewalls (Yoga's default
 * loads them from a CDN). Rendered once: the page is ~9 MB of JS.
 */
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
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

let rendered: string | undefined;

export function renderLocalGraphiQL(options: GraphiQLOptions): string {
  // Options are fixed per process, so one rendering serves every request.
  rendered ??= renderGraphiQL(options);
  return rendered;
}
