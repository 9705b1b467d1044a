/**
 * Relay connection values whose cursors are encoded only when read (docs/architecture.md,
 * "Cursors").
 *
 * The schema's `cursor`, `startCursor` and `endCursor` fields have no resolver (Pothos `expose`),
 * so the executor reads them as plain properties, and graphql-jit's compiled code reads only the
 * fields the document selects. Getters therefore make an unselected cursor cost nothing and a
 * selected one no resolver call (a resolver per edge would cost more than the cursor itself).
 */
import type { AssembledPage, AssembledEdge } from './assemble.js';
import { PageCursors } from './cursor.js';
import type { Scope } from '../domain.js';

export class Edge<T> {
  readonly node: T;
  readonly #after: AssembledEdge<T>['after'];
  readonly #cursors: PageCursors;
  /** Kept once read: `pageInfo` reads the first and last again. */
  #cursor: string | undefined;

  constructor(edge: AssembledEdge<T>, cursors: PageCursors) {
    this.node = edge.node;
    this.#after = edge.after;
    this.#cursors = cursors;
  }

  get cursor(): string {
    return (this.#cursor ??= this.#cursors.encode(this.#after));
  }
}

export class PageInfo {
  readonly hasNextPage: boolean;
  readonly hasPreviousPage: boolean;
  readonly #edges: ReadonlyArray<Edge<unknown>>;

  constructor(hasNextPage: boolean, hasPreviousPage: boolean, edges: ReadonlyArray<Edge<unknown>>) {
    this.hasNextPage = hasNextPage;
    this.hasPreviousPage = hasPreviousPage;
    this.#edges = edges;
  }

  get startCursor(): string | null {
    return this.#edges[0]?.cursor ?? null;
  }

  get endCursor(): string | null {
    return this.#edges.at(-1)?.cursor ?? null;
  }
}

export interface Connection<T> {
  edges: Array<Edge<T>>;
  pageInfo: PageInfo;
}

/** The connection of an assembled page; `hasPreviousPage` is whether `after` was given. */
export function connectionOf<T>(
  page: AssembledPage<T>,
  scope: Scope,
  hasPreviousPage: boolean,
): Connection<T> {
  const cursors = new PageCursors(scope);
  const edges = page.edges.map((edge) => new Edge(edge, cursors));
  return { edges, pageInfo: new PageInfo(page.hasNextPage, hasPreviousPage, edges) };
}
