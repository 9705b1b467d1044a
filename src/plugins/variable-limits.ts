/**
 * Limits that need the variables, so they run where the variables are known: at the start of
 * execution (onExecute), before any resolver and so before any upstream call. graphql-armor
 * (src/plugins/query-limits.ts) only sees the document.
 */
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { Kind, validate, visit } from 'graphql';
import type {
  DocumentNode,
  ExecutionResult,
  GraphQLError,
  GraphQLSchema,
  ValueNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { badUserInput } from '../errors.js';
import { COST_OPTIONS } from './query-limits.js';

/**
 * What both hooks that start an operation give (onExecute, onSubscribe): its arguments, and a
 * way to answer without running it.
 */
type StartHook = (payload: {
  args: { document: DocumentNode; schema: GraphQLSchema; variableValues?: unknown };
  setResultAndStopExecution: (result: ExecutionResult) => void;
}) => void;

/** The variables the document passes as `first` (computed once per document). */
function firstVariables(document: DocumentNode): string[] {
  const names = new Set<string>();
  visit(document, {
    Argument(node) {
      if (node.name.value === 'first' && node.value.kind === Kind.VARIABLE) {
        names.add(node.value.name.value);
      }
    },
  });
  return [...names];
}

/** The document with every `first: $var` replaced by the variable's integer value. */
function inlineFirst(document: DocumentNode, variables: Record<string, unknown>): DocumentNode {
  const defaults = new Map<string, ValueNode>();
  visit(document, {
    VariableDefinition(node) {
      if (node.defaultValue) defaults.set(node.variable.name.value, node.defaultValue);
    },
  });
  return visit(document, {
    Argument(node) {
      if (node.name.value !== 'first' || node.value.kind !== Kind.VARIABLE) return undefined;
      const name = node.value.name.value;
      const value = variables[name];
      if (Number.isSafeInteger(value)) {
        return { ...node, value: { kind: Kind.INT, value: String(value) } };
      }
      // Not given (or not an integer: coercion will refuse it): the declared default, if any.
      return value === undefined && defaults.has(name)
        ? { ...node, value: defaults.get(name)! }
        : undefined;
    },
  });
}

/**
 * graphql-armor prices `first` only when it is a literal, so `first: $n` costs as `first: 1`
 * however large n is. Where the variables are known (onExecute, before any resolver runs), an
 * operation with a variable `first` is priced again by armor's own rule with the variables
 * inlined, and refused with QUERY_TOO_COMPLEX over the same limit.
 */
export function useCostWithVariables(): Plugin {
  /**
   * Per document: its `first` variables, and the verdicts already reached for their values.
   * Clients page with the same few documents and sizes (`first: $count` on every page), so the
   * inlined document is re-validated once per distinct value, not per request (bench/README.md:
   * it was 8 % of the gateway's CPU on a paging load).
   */
  const documents = new WeakMap<
    DocumentNode,
    { names: string[]; verdicts: Map<string, Verdict> }
  >();
  const check: StartHook = ({ args, setResultAndStopExecution }) => {
    const { document, schema } = args;
    let known = documents.get(document);
    if (!known) {
      known = { names: firstVariables(document), verdicts: new Map() };
      documents.set(document, known);
    }
    if (known.names.length === 0) return;
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    const key = known.names.map((name) => JSON.stringify(variables[name]) ?? '').join(',');
    let verdict = known.verdicts.get(key);
    if (!verdict) {
      const errors = validate(schema, inlineFirst(document, variables), [
        costLimitRule(COST_OPTIONS),
      ]);
      verdict = errors.length > 0 ? { errors } : OK;
      if (known.verdicts.size >= MAX_VERDICTS_PER_DOCUMENT) known.verdicts.clear();
      known.verdicts.set(key, verdict);
    }
    if (verdict !== OK) setResultAndStopExecution(verdict);
  };
  return { onExecute: check, onSubscribe: check };
}

/** The cost check's answer for one set of `first` values: fine, or the errors to answer with. */
type Verdict = typeof OK | { errors: readonly GraphQLError[] };
const OK = Symbol('within the cost limit');
/** Distinct `first` values remembered per document (a client sends a handful). */
const MAX_VERDICTS_PER_DOCUMENT = 64;

/** Literal list arguments longer than `max` in the document, and the variables it declares as lists. */
function listShape(document: DocumentNode, max: number) {
  const listVariables: string[] = [];
  let longLiteral: string | undefined;
  visit(document, {
    VariableDefinition(node) {
      const type = node.type.kind === Kind.NON_NULL_TYPE ? node.type.type : node.type;
      if (type.kind === Kind.LIST_TYPE) listVariables.push(node.variable.name.value);
    },
    Argument(node) {
      if (node.value.kind === Kind.LIST && node.value.values.length > max) {
        longLiteral ??= node.name.value;
      }
    },
  });
  return { listVariables, longLiteral };
}

/**
 * No list argument holds more than `max` items (MAX_PAGE_SIZE), whether written in the document
 * or passed as a variable: one request must not multiply itself. (`nodes(ids:)` with 29,000
 * copies of one id once built a 25 MB answer; with 30 aliases, decoding the ids alone held the
 * process for seconds.)
 */
export function useListSizeLimit({ max }: { max: number }): Plugin {
  const shapes = new WeakMap<DocumentNode, ReturnType<typeof listShape>>();
  const check: StartHook = ({ args, setResultAndStopExecution }) => {
    let shape = shapes.get(args.document);
    if (!shape) {
      shape = listShape(args.document, max);
      shapes.set(args.document, shape);
    }
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    const long =
      shape.longLiteral ??
      shape.listVariables.find((name) => {
        const value = variables[name];
        return Array.isArray(value) && value.length > max;
      });
    if (long === undefined) return;
    setResultAndStopExecution({
      errors: [
        badUserInput(`A list argument holds at most ${max} items; ${long} holds more.`, long),
      ],
    });
  };
  // Subscriptions too: chatTurn(indexIds:) is a list argument.
  return { onExecute: check, onSubscribe: check };
}
