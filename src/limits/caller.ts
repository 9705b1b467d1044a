/**
 * Who is calling, as rate limits and per-caller stream caps count it (docs/architecture.md,
 * "Rate limits and shared state"). The key is, in order:
 * 1. `jwt:<hash>`: the verified caller's subject (`ctx.caller.subject`, set by caller
 *    authentication);
 * 2. `key:<hash>`: the bearer token the request carries (its SHA-256, never the token: keys end up
 *    in Redis and must not be readable there);
 * 3. `ip:<address>`: the client address. The socket's peer, or with TRUST_PROXY=N the Nth entry
 *    from the right of X-Forwarded-For (N = 1: the address the one proxy in front saw; entries
 *    further left are whatever the client sent, so they are never trusted). An IPv6 client is
 *    counted by its /64, the block one host usually holds.
 * Every part is bounded and free of the caller's own characters, so it is safe in a Redis key.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { GatewayContext } from '../context.js';

/** A caller key: `jwt:…`, `key:…` or `ip:…`. */
export type CallerKey = string;

/** The token of `Authorization: Bearer <token>`, however malformed the rest (it is only hashed). */
const BEARER = /^\s*Bearer\s+(\S+)\s*$/i;

/** 128 bits of SHA-256: enough to keep callers apart, and not reversible for a real key. */
function digest(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 32);
}

/** `::ffff:1.2.3.4` -> `1.2.3.4`; an IPv6 address -> its /64 (`2001:db8:0:1::/64`). */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIP(address) !== 6) return address;
  const [head = '', tail] = address.toLowerCase().split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  // An embedded IPv4 tail (`::1.2.3.4`) counts as two groups; only the first four matter here.
  const missing = 8 - left.length - right.length - (right.at(-1)?.includes('.') ? 1 : 0);
  const groups =
    tail === undefined ? left : [...left, ...Array<string>(missing).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** The client's address: the socket's peer, or from X-Forwarded-For behind `hops` proxies. */
export function clientAddress(req: IncomingMessage | undefined, hops: number): string | undefined {
  const peer = req?.socket?.remoteAddress;
  if (hops > 0 && req) {
    const header = req.headers['x-forwarded-for'];
    const entries = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
    // Fewer entries than proxies: the leftmost is the furthest anyone vouches for.
    const chosen = entries[Math.max(entries.length - hops, 0)];
    if (chosen !== undefined && isIP(chosen)) return chosen;
  }
  return peer;
}

/** The rate-limit and stream-cap key of this operation's caller. */
export function callerKey(ctx: GatewayContext): CallerKey {
  const subject = ctx.caller?.subject;
  if (subject) return `jwt:${digest(subject)}`;
  const token = BEARER.exec(ctx.request.headers.get('authorization') ?? '')?.[1];
  if (token) return `key:${digest(token)}`;
  // Node's server context (src/server.ts) and the WebSocket upgrade (src/transport/graphql-ws.ts)
  // both give Yoga the IncomingMessage as `req`.
  const { req } = ctx as GatewayContext & { req?: IncomingMessage };
  const address = clientAddress(req, ctx.config.trustProxyHops);
  return `ip:${address ? addressKey(address) : 'unknown'}`;
}
