import { describe, expect, it } from 'vitest';
import { FORMATS, formatFromPath, hasSopsTopLevelKey, isFormat, storeFor } from '../../../src/sops/stores/store.js';
import { doc, e, map, secretsError, str } from './helpers.js';

describe('formatFromPath (sops cmd/sops/formats)', () => {
  const table: [string, string][] = [
    ['secrets.yaml', 'yaml'],
    ['a/b/secrets.yml', 'yaml'],
    ['x.json', 'json'],
    ['.env', 'dotenv'],
    ['prod.env', 'dotenv'],
    ['x.ini', 'ini'],
    ['x.YAML', 'binary'], // case-sensitive
    ['x.Json', 'binary'],
    ['x.yaml.bak', 'binary'],
    ['x.env.local', 'binary'],
    ['secret.bin', 'binary'],
    ['', 'binary'],
    ['yaml', 'binary'],
  ];
  it.each(table)('%j → %s', (path, format) => {
    expect(formatFromPath(path)).toBe(format);
  });
});

describe('storeFor', () => {
  it('creates one store per format', () => {
    for (const format of FORMATS) expect(storeFor(format).format).toBe(format);
    expect(isFormat('yaml')).toBe(true);
    expect(isFormat('toml')).toBe(false);
    expect(secretsError(() => storeFor('toml' as never)).code).toBe('USAGE');
  });

  it('validates indentation like sops (YAML: negative is an error; JSON/binary: below -1)', () => {
    expect(secretsError(() => storeFor('yaml', { indent: -1 })).code).toBe('USAGE');
    expect(() => storeFor('json', { indent: -1 })).not.toThrow();
    expect(secretsError(() => storeFor('json', { indent: -2 })).code).toBe('USAGE');
    expect(secretsError(() => storeFor('binary', { indent: -3 })).code).toBe('USAGE');
    expect(() => storeFor('dotenv', { indent: -7 })).not.toThrow(); // ignored
  });
});

describe('hasSopsTopLevelKey', () => {
  it('looks for "sops" in the first document, or any "sops_" key for dotenv', () => {
    expect(hasSopsTopLevelKey('yaml', doc(map(e('sops', str('x')))))).toBe(true);
    expect(hasSopsTopLevelKey('yaml', doc(map(e('sops_', str('x')))))).toBe(false);
    expect(hasSopsTopLevelKey('yaml', doc(map(), map(e('sops', str('x')))))).toBe(false);
    expect(hasSopsTopLevelKey('dotenv', doc(map(e('sops_', str('x')))))).toBe(true);
    expect(hasSopsTopLevelKey('dotenv', doc(map(e('sops', str('x')))))).toBe(false);
    expect(hasSopsTopLevelKey('json', doc())).toBe(false);
  });
});
