import { printSubgraphSchema } from '@apollo/subgraph';
import { buildSchema } from '../src/schema/index.js';

/**
 * The committed SDL, exactly as printed (shared by the script and the drift test): the subgraph
 * SDL with its federation `@link`, what `_service { sdl }` serves and what composition reads.
 */
export function printSchemaFile(): string {
  return `${printSubgraphSchema(buildSchema())}\n`;
}
