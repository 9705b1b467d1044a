/**
 * Shared by the client-recipe tests: the default project's session ids in upstream order, a
 * console.warn/console.error recorder (a client's cache warnings must not appear), and a fetch
 * that records every HTTP request a client library sends.
 */
import { vi } from 'vitest';
import { SANDBOX_PROJECTS } from '../../src/sandbox/data.js';
import type { Stack } from '../support/stack.js';

export const defaultProject = SANDBOX_PROJECTS[0]!;

/** The default project's session ids, in the order the upstream lists them. */
export function expectedSessionIds(stack: Stack): string[] {
  return stack.sandbox.dataset.get(defaultProject.id)!.map((s) => s.summary.session_id);
}

/** Records console.warn and console.error calls (still printed) until `restore()`. */
export function recordConsole() {
  const messages: string[] = [];
  const spies = (['warn', 'error'] as const).map((level) => {
    const original = console[level].bind(console);
    return vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      messages.push(`console.${level}: ${args.map((a) => String(a)).join(' ')}`);
      original(...args);
    });
  });
  return {
    messages,
    restore: () => spies.forEach((spy) => spy.mockRestore()),
  };
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** The parsed JSON body of a POST (an array for a batch), else undefined. */
  body: unknown;
}

/** A fetch that records each request before passing it to the global fetch. */
export function recordingFetch() {
  const requests: RecordedRequest[] = [];
  const recorded: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const text = request.method === 'POST' ? await request.clone().text() : '';
    requests.push({
      method: request.method,
      url: request.url,
      headers: Object.fromEntries(request.headers),
      body: text ? JSON.parse(text) : undefined,
    });
    return fetch(request);
  };
  return { fetch: recorded, requests };
}
