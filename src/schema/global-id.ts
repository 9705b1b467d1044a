/**
 * Relay global ids: base64 of "<Type>:<local id>" (Pothos's default encoding). Decoding is ours
 * so that a malformed id, or one of a type that is not a Node here, is BAD_USER_INPUT (a bad
 * argument, answered without an upstream call) instead of a masked internal error.
 */
import { decodeGlobalID } from '@pothos/plugin-relay';
import { badUserInput } from '../errors.js';

/** Types that implement Node in this schema. */
const NODE_TYPES: ReadonlySet<string> = new Set(['ChatSession']);

export function decodeNodeId(globalID: string): { typename: string; id: string } {
  const shown = JSON.stringify(globalID.slice(0, 60));
  let decoded: { typename: string; id: string };
  try {
    decoded = decodeGlobalID(globalID);
  } catch {
    throw badUserInput(`Invalid global id ${shown}: not an id issued by this API.`);
  }
  if (!NODE_TYPES.has(decoded.typename)) {
    throw badUserInput(`Invalid global id ${shown}: no node type ${decoded.typename} here.`);
  }
  return decoded;
}
