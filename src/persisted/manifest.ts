/**
 * The trusted-documents manifest (PERSISTED_OPERATIONS_FILE), read once at start-up
 * (docs/architecture.md, "Security"). Two formats are accepted:
 *
 * - Apollo's persisted query manifest, as `generate-persisted-query-manifest`
 *   (@apollo/generate-persisted-query-manifest) writes it:
 *   `{"format":"apollo-persisted-query-manifest","version":1,"operations":[{"id","body","name","type"}]}`;
 * - a plain JSON object of id -> document, as relay-compiler writes it with
 *   `persistConfig: { file: … }`.
 *
 * Every document must parse: a manifest that would fail at request time fails start-up instead.
 */
import { readFileSync, statSync } from 'node:fs';
import { parse } from 'graphql';

export const APOLLO_MANIFEST_FORMAT = 'apollo-persisted-query-manifest';
/** A manifest larger than this is not a list of an application's operations. */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

export interface PersistedOperations {
  /** The file it was read from (for the start-up log). */
  file: string;
  format: 'apollo' | 'plain';
  /** id -> document text. */
  operations: ReadonlyMap<string, string>;
}

export class ManifestError extends Error {
  override name = 'ManifestError';
}

/** The document of a persisted id: exact, else without the `sha256:` prefix of GraphQL over HTTP's draft. */
export function lookupPersistedOperation(
  manifest: PersistedOperations,
  id: string,
): string | undefined {
  return (
    manifest.operations.get(id) ??
    (id.startsWith('sha256:') ? manifest.operations.get(id.slice('sha256:'.length)) : undefined)
  );
}

export function loadPersistedOperations(file: string): PersistedOperations {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    throw new ManifestError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
  if (size > MAX_MANIFEST_BYTES) {
    throw new ManifestError(`${file} is larger than ${MAX_MANIFEST_BYTES} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message : String(error);
    throw new ManifestError(`${file} is not JSON: ${reason}`);
  }
  const parsed = parseManifest(json);
  return { file, ...parsed };
}

/** A manifest's JSON -> its operations; throws ManifestError naming the first problem. */
export function parseManifest(json: unknown): Omit<PersistedOperations, 'file'> {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ManifestError(
      `must be Apollo's persisted query manifest or a JSON object of id -> document`,
    );
  }
  const record = json as Record<string, unknown>;
  const operations = new Map<string, string>();
  let format: 'apollo' | 'plain';
  if ('format' in record || 'operations' in record) {
    format = 'apollo';
    if (record.format !== APOLLO_MANIFEST_FORMAT) {
      throw new ManifestError(
        `unknown manifest format ${JSON.stringify(record.format)} (expected "${APOLLO_MANIFEST_FORMAT}")`,
      );
    }
    if (record.version !== 1) {
      throw new ManifestError(
        `unsupported ${APOLLO_MANIFEST_FORMAT} version ${JSON.stringify(record.version)} (expected 1)`,
      );
    }
    if (!Array.isArray(record.operations)) {
      throw new ManifestError('"operations" must be an array');
    }
    record.operations.forEach((entry: unknown, index) => {
      const op = (entry ?? {}) as Record<string, unknown>;
      if (typeof op.id !== 'string' || op.id === '') {
        throw new ManifestError(`operations[${index}] has no "id"`);
      }
      if (typeof op.body !== 'string' || op.body.trim() === '') {
        throw new ManifestError(`operations[${index}] (${op.id}) has no "body"`);
      }
      add(operations, op.id, op.body);
    });
  } else {
    format = 'plain';
    for (const [id, body] of Object.entries(record)) {
      if (typeof body !== 'string' || body.trim() === '' || id === '') {
        throw new ManifestError(`entry ${JSON.stringify(id)} must map an id to a document string`);
      }
      add(operations, id, body);
    }
  }
  if (operations.size === 0) throw new ManifestError('holds no operations');
  return { format, operations };
}

function add(operations: Map<string, string>, id: string, body: string): void {
  const known = operations.get(id);
  if (known !== undefined && known !== body) {
    throw new ManifestError(`id ${JSON.stringify(id)} names two different documents`);
  }
  try {
    parse(body, { noLocation: true });
  } catch (error) {
    throw new ManifestError(
      `document ${JSON.stringify(id)} does not parse: ${(error as Error).message}`,
    );
  }
  operations.set(id, body);
}
