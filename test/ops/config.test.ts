/** The operational variables: SHUTDOWN_TIMEOUT_MS and CORS_ORIGINS. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('SHUTDOWN_TIMEOUT_MS', () => {
  it('defaults to 10 s and accepts 0..600000', () => {
    expect(loadConfig({}).shutdownTimeoutMs).toBe(10_000);
    expect(loadConfig({ SHUTDOWN_TIMEOUT_MS: '' }).shutdownTimeoutMs).toBe(10_000);
    expect(loadConfig({ SHUTDOWN_TIMEOUT_MS: '0' }).shutdownTimeoutMs).toBe(0);
    expect(loadConfig({ SHUTDOWN_TIMEOUT_MS: '30000' }).shutdownTimeoutMs).toBe(30_000);
  });

  it.each(['-1', '1.5', 'ten', '600001'])('rejects %s, naming the variable', (value) => {
    expect(() => loadConfig({ SHUTDOWN_TIMEOUT_MS: value })).toThrow(ConfigError);
    expect(() => loadConfig({ SHUTDOWN_TIMEOUT_MS: value })).toThrow(/SHUTDOWN_TIMEOUT_MS/);
  });
});

describe('CORS_ORIGINS', () => {
  it('defaults to no cross-origin access', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: ' ' }).corsOrigins).toEqual([]);
  });

  it('reads a comma-separated list of origins, normalised as browsers send them', () => {
    expect(
      loadConfig({
        CORS_ORIGINS: 'https://App.Example.com, http://localhost:5173 ,https://x.example:443/',
      }).corsOrigins,
    ).toEqual(['https://app.example.com', 'http://localhost:5173', 'https://x.example']);
  });

  it('accepts * alone', () => {
    expect(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
  });

  it.each([
    'app.example.com',
    'https://app.example.com/path',
    'https://app.example.com?x=1',
    'ftp://files.example.com',
    '*,https://app.example.com',
  ])('rejects %s, naming the variable', (value) => {
    expect(() => loadConfig({ CORS_ORIGINS: value })).toThrow(ConfigError);
    expect(() => loadConfig({ CORS_ORIGINS: value })).toThrow(/CORS_ORIGINS/);
  });
});
