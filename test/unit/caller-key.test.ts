import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { addressKey, clientAddress } from '../../src/limits/caller.js';

const req = (remoteAddress: string, forwarded?: string) =>
  ({
    socket: { remoteAddress },
    headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
  }) as unknown as IncomingMessage;

describe('caller address', () => {
  it('counts IPv4 as is, IPv4-mapped IPv6 as IPv4, IPv6 by its /64', () => {
    expect(addressKey('203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('2001:db8:0:1:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:0db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('uses X-Forwarded-For only behind trusted proxies, counting hops from the right', () => {
    const forwarded = '198.51.100.1, 203.0.113.5, 10.0.0.2';
    expect(clientAddress(req('10.0.0.9', forwarded), 0)).toBe('10.0.0.9');
    expect(clientAddress(req('10.0.0.9', forwarded), 1)).toBe('10.0.0.2');
    expect(clientAddress(req('10.0.0.9', forwarded), 2)).toBe('203.0.113.5');
    // Fewer entries than hops: the leftmost; not an address: the socket's.
    expect(clientAddress(req('10.0.0.9', '203.0.113.5'), 3)).toBe('203.0.113.5');
    expect(clientAddress(req('10.0.0.9', 'evil, <script>'), 1)).toBe('10.0.0.9');
    expect(clientAddress(req('10.0.0.9'), 1)).toBe('10.0.0.9');
  });
});
