import { lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchema } from '../src/schema/index.js';

/** The committed SDL, exactly as printed (shared by the script and the drift test). */
export function printSchemaFile(): string {
  return `${printSchema(lexicographicSortSchema(buildSchema()))}\n`;
}
