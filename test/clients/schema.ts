/**
 * What client toolchains read, exactly as a user's project would: the committed client schema
 * (`schema.graphql`) and `possible-types.json`, both printed by `npm run schema:print`.
 */
import { readFileSync } from 'node:fs';

/** The repository's client schema, for compilers that take a path (relay-compiler). */
export const CLIENT_SCHEMA_FILE = new URL('../../schema.graphql', import.meta.url).pathname;

/** The client schema's SDL (urql graphcache's schema awareness). */
export function clientSchemaSdl(): string {
  return readFileSync(CLIENT_SCHEMA_FILE, 'utf8');
}

/** Apollo's `possibleTypes` (and urql's keyless event types): each interface → its types. */
export function clientPossibleTypes(): Record<string, string[]> {
  return JSON.parse(
    readFileSync(new URL('../../possible-types.json', import.meta.url), 'utf8'),
  ) as Record<string, string[]>;
}
