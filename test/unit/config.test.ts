import { describe, expect, it } from 'vitest';
import { ConfigError, LLAMA_CLOUD_DEFAULT_BASE_URL, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('defaults to the sandbox with the documented values', () => {
    expect(loadConfig({})).toEqual({
      port: 4000,
      host: '127.0.0.1',
      upstream: { kind: 'sandbox' },
      apiKey: undefined,
      upstreamTimeoutMs: 10_000,
      upstreamMaxRetries: 2,
      upstreamStreamIdleTimeoutMs: 60_000,
      maxPageSize: 100,
      defaultPageSize: 20,
      maxUpstreamCallsPerOperation: 25,
      upstreamCoalesce: true,
      batchingLimit: 10,
      logLevel: 'info',
      shutdownTimeoutMs: 10_000,
      corsOrigins: [],
      allowedHosts: ['localhost', '127.0.0.1', '[::1]'],
      executionTimeoutMs: 30_000,
      maxResponseBytes: 10 * 1024 * 1024,
      graphiql: true,
      introspection: true,
      maxConcurrentStreams: 1_000,
      httpHeadersTimeoutMs: 10_000,
      httpRequestTimeoutMs: 20_000,
      httpIdleTimeoutMs: 5_000,
      maxConnections: 1_000,
      metricsPort: 9464,
      metricsHost: '127.0.0.1',
      metricsOperationNames: undefined,
      persistedOperations: undefined,
      allowArbitraryOperations: false,
      rateLimit: undefined,
      trustProxyHops: 0,
      maxStreamsPerCaller: undefined,
      redisUrl: undefined,
      auth: undefined,
      allowUnauthenticatedCallers: false,
    });
  });

  it('allows the loopback names and a HOST that names one interface, or ALLOWED_HOSTS', () => {
    const loopback = ['localhost', '127.0.0.1', '[::1]'];
    expect(loadConfig({ HOST: '0.0.0.0' }).allowedHosts).toEqual(loopback);
    expect(loadConfig({ HOST: '::' }).allowedHosts).toEqual(loopback);
    expect(loadConfig({ HOST: 'gw.internal' }).allowedHosts).toEqual([...loopback, 'gw.internal']);
    expect(loadConfig({ HOST: 'fd00::7' }).allowedHosts).toEqual([...loopback, '[fd00::7]']);
    expect(
      loadConfig({ HOST: '0.0.0.0', ALLOWED_HOSTS: 'API.example.com, chat-gateway,[::1]' })
        .allowedHosts,
    ).toEqual(['api.example.com', 'chat-gateway', '[::1]']);
    expect(loadConfig({ ALLOWED_HOSTS: '*' }).allowedHosts).toEqual(['*']);
    expect(() => loadConfig({ ALLOWED_HOSTS: 'https://api.example.com' })).toThrow(
      /ALLOWED_HOSTS entries must be host names/,
    );
    expect(() => loadConfig({ ALLOWED_HOSTS: 'a.example:8080' })).toThrow(/ALLOWED_HOSTS/);
    expect(() => loadConfig({ ALLOWED_HOSTS: '*,a.example' })).toThrow(/either \* alone/);
  });

  it('reads the GRAPHIQL, INTROSPECTION and UPSTREAM_COALESCE switches', () => {
    expect(loadConfig({ GRAPHIQL: 'false', INTROSPECTION: '0' })).toMatchObject({
      graphiql: false,
      introspection: false,
    });
    expect(() => loadConfig({ GRAPHIQL: 'no' })).toThrow(/GRAPHIQL must be true or false/);
    expect(loadConfig({ UPSTREAM_COALESCE: 'false' }).upstreamCoalesce).toBe(false);
    expect(() => loadConfig({ UPSTREAM_COALESCE: 'off' })).toThrow(
      /UPSTREAM_COALESCE must be true or false/,
    );
  });

  it('picks the upstream mode: base URL, else key -> LlamaCloud, else sandbox; empty = unset', () => {
    expect(loadConfig({ LLAMA_CLOUD_API_KEY: 'k' }).upstream).toEqual({
      kind: 'llamacloud',
      baseUrl: LLAMA_CLOUD_DEFAULT_BASE_URL,
    });
    expect(
      loadConfig({ LLAMA_CLOUD_API_KEY: 'k', LLAMA_CLOUD_BASE_URL: 'http://h:1/prefix/' }).upstream,
    ).toEqual({
      kind: 'custom',
      baseUrl: 'http://h:1/prefix',
    });
    expect(loadConfig({ LLAMA_CLOUD_API_KEY: '', LLAMA_CLOUD_BASE_URL: ' ' }).upstream).toEqual({
      kind: 'sandbox',
    });
  });

  it.each([
    [{ PORT: 'abc' }, /PORT must be an integer/],
    [{ PORT: '70000' }, /PORT must be between/],
    [{ UPSTREAM_TIMEOUT_MS: '-5' }, /UPSTREAM_TIMEOUT_MS/],
    [{ LLAMA_CLOUD_BASE_URL: 'not a url' }, /LLAMA_CLOUD_BASE_URL must be an absolute/],
    [{ LLAMA_CLOUD_BASE_URL: 'ftp://x' }, /LLAMA_CLOUD_BASE_URL must use http/],
    [{ DEFAULT_PAGE_SIZE: '50', MAX_PAGE_SIZE: '10' }, /DEFAULT_PAGE_SIZE/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ RATE_LIMIT: '600' }, /RATE_LIMIT must be <requests>\/<seconds>/],
    [{ RATE_LIMIT: '0/60' }, /RATE_LIMIT/],
    [{ RATE_LIMIT: '10/0' }, /RATE_LIMIT/],
    [{ RATE_LIMIT: '1.5/60' }, /RATE_LIMIT/],
    [{ TRUST_PROXY: 'yes' }, /TRUST_PROXY/],
    [{ MAX_STREAMS_PER_CALLER: '0' }, /MAX_STREAMS_PER_CALLER must be between/],
    [{ REDIS_URL: 'http://cache:6379' }, /REDIS_URL must be a redis:\/\//],
  ])('rejects %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reads RATE_LIMIT, TRUST_PROXY, MAX_STREAMS_PER_CALLER and REDIS_URL', () => {
    expect(
      loadConfig({
        RATE_LIMIT: ' 600/60 ',
        TRUST_PROXY: 'true',
        MAX_STREAMS_PER_CALLER: '3',
        REDIS_URL: 'redis://:pw@cache:6379/2',
      }),
    ).toMatchObject({
      rateLimit: { requests: 600, windowSeconds: 60 },
      trustProxyHops: 1,
      maxStreamsPerCaller: 3,
      redisUrl: 'redis://:pw@cache:6379/2',
    });
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxyHops).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxyHops).toBe(0);
    expect(() => loadConfig({ REDIS_URL: 'rediss//:s3cret@cache' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('s3cret') }),
    );
  });

  it.each([
    ['a bad base URL', { LLAMA_CLOUD_BASE_URL: 'nope' }],
    ['the key as credentials in the base URL', { LLAMA_CLOUD_BASE_URL: 'http://u:llx-secret@h' }],
    ['another bad variable', { UPSTREAM_MAX_RETRIES: 'many' }],
  ])('never puts the key into an error message (%s)', (_name, env) => {
    expect(() => loadConfig({ LLAMA_CLOUD_API_KEY: 'llx-secret', ...env })).toThrow(
      expect.objectContaining({
        name: 'ConfigError',
        message: expect.not.stringContaining('llx-secret'),
      }),
    );
  });

  it('reads caller authentication (AUTH_*): JWKS over https, or http on loopback only', () => {
    expect(
      loadConfig({
        AUTH_JWKS_URL: 'https://issuer.example/.well-known/jwks.json',
        AUTH_JWT_ISSUER: 'https://issuer.example/',
        AUTH_JWT_AUDIENCE: 'chat-gateway, other',
        AUTH_PROJECTS_CLAIM: 'https://example.com/projects',
      }).auth,
    ).toEqual({
      jwksUrl: 'https://issuer.example/.well-known/jwks.json',
      issuer: 'https://issuer.example/',
      audience: ['chat-gateway', 'other'],
      projectsClaim: 'https://example.com/projects',
    });
    expect(loadConfig({ AUTH_JWKS_URL: 'http://127.0.0.1:8080/jwks' }).auth?.jwksUrl).toBe(
      'http://127.0.0.1:8080/jwks',
    );
    expect(() => loadConfig({ AUTH_JWKS_URL: 'http://issuer.example/jwks' })).toThrow(
      /AUTH_JWKS_URL must use https/,
    );
    expect(() => loadConfig({ AUTH_PROJECTS_CLAIM: 'projects' })).toThrow(
      /AUTH_PROJECTS_CLAIM needs AUTH_JWKS_URL/,
    );
    // The upstream is called with the server key: a real upstream needs one.
    expect(() =>
      loadConfig({
        AUTH_JWKS_URL: 'https://issuer.example/jwks',
        LLAMA_CLOUD_BASE_URL: 'https://llama.example',
      }),
    ).toThrow(/AUTH_JWKS_URL needs LLAMA_CLOUD_API_KEY/);
  });

  it('refuses to start exposed: a server key, a non-loopback HOST and no caller authentication', () => {
    const exposed = { LLAMA_CLOUD_API_KEY: 'llx-secret', HOST: '0.0.0.0' };
    expect(() => loadConfig(exposed)).toThrow(ConfigError);
    expect(() => loadConfig(exposed)).toThrow(
      /refusing to start exposed: .*HOST=0\.0\.0\.0.*AUTH_JWKS_URL.*ALLOW_UNAUTHENTICATED_CALLERS=true/,
    );
    for (const host of ['gw.internal', '::', '10.0.0.7']) {
      expect(() => loadConfig({ ...exposed, HOST: host })).toThrow(/refusing to start exposed/);
    }
    // The two ways out, loopback hosts, and the sandbox (no server key) start.
    expect(
      loadConfig({ ...exposed, ALLOW_UNAUTHENTICATED_CALLERS: 'true' }).allowUnauthenticatedCallers,
    ).toBe(true);
    expect(
      loadConfig({ ...exposed, AUTH_JWKS_URL: 'https://issuer.example/jwks' }).auth,
    ).toBeDefined();
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) {
      expect(loadConfig({ ...exposed, HOST: host }).host).toBe(host);
    }
    expect(loadConfig({ HOST: '0.0.0.0' }).upstream).toEqual({ kind: 'sandbox' });
  });
});
