/** GraphiQL is served from local assets only: it must work offline and behind firewalls. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

describe('GraphiQL', () => {
  it('is served for Accept: text/html and references no external host', async () => {
    const res = await fetch(`${stack.gateway.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('LlamaCloud chat sessions');
    expect(html).toContain('chatSessions(first: 5'); // the example query opens with the page

    // Everything the page loads must come from the page itself: no src/href/url()/import to a host.
    const loads = [
      ...html.matchAll(/<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["']([^"']+)["']/gi),
      ...html.matchAll(/@import\s+(?:url\()?["']?([^"')\s;]+)/gi),
      ...html.matchAll(/url\(\s*["']?((?:https?:)?\/\/[^"')\s]+)/gi),
      ...html.matchAll(/\bimport\(\s*["']((?:https?:)?\/\/[^"']+)["']\s*\)/gi),
    ].map((m) => m[1]!);
    const external = loads.filter((url) => /^(https?:)?\/\//i.test(url));
    expect(external).toEqual([]);
    // No CDN the default Yoga GraphiQL would use.
    expect(html).not.toMatch(/unpkg\.com|cdn\.jsdelivr\.net|esm\.sh/);
  });

  it('answers JSON clients on the same endpoint', async () => {
    const res = await stack.graphql('{ __typename }');
    expect(res.body).toEqual({ data: { __typename: 'Query' } });
  });
});
