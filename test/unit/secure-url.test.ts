import { describe, expect, it } from 'vitest';
import { checkSecureUrl, isLoopbackHost } from '../../src/core/secure-url.js';

describe('secure URLs', () => {
  it('knows loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST.', 'api.localhost', '[::1]', '::1'])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of [
      '10.0.0.1',
      '128.0.0.1',
      '127.0.0.1.example.com',
      'localhost.example.com',
      '::2',
      '0.0.0.0',
      '127.0.0.256',
      'example.com',
    ])
      expect(isLoopbackHost(host), host).toBe(false);
  });

  it('accepts https anywhere and http only to loopback', () => {
    expect(checkSecureUrl('https://vault.example.com:8200', 'VAULT_ADDR', 'x').host).toBe('vault.example.com:8200');
    expect(checkSecureUrl('http://127.0.0.1:8200', 'VAULT_ADDR', 'x').port).toBe('8200');
    expect(checkSecureUrl('http://[::1]:1/', 'VAULT_ADDR', 'x').hostname).toBe('[::1]');
    expect(checkSecureUrl('http://localhost/', 'VAULT_ADDR', 'x').hostname).toBe('localhost');
  });

  it('refuses clear text to another host, other schemes, and credentials in the URL', () => {
    expect(() => checkSecureUrl('http://vault.example.com', 'VAULT_ADDR', 'set it to https')).toThrow(
      /VAULT_ADDR "http:\/\/vault.example.com" uses http:\/\/ to vault.example.com.*clear text.*set it to https/,
    );
    expect(() => checkSecureUrl('http://127.0.0.1.nip.io', 'the base URL', 'x')).toThrow(/clear text/);
    expect(() => checkSecureUrl('ftp://127.0.0.1', 'the base URL', 'x')).toThrow(/uses ftp:/);
    expect(() => checkSecureUrl('https://u:p@example.com', 'the base URL', 'x')).toThrow(/user name or password/);
    expect(() => checkSecureUrl('not a url', 'the base URL', 'x')).toThrow(/is not a URL/);
  });
});
