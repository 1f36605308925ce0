import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BinaryStore } from '../../../src/sops/stores/binary.js';
import { DotenvStore } from '../../../src/sops/stores/dotenv.js';
import { IniStore } from '../../../src/sops/stores/ini.js';
import { bool, bytes, c, doc, e, emit, float, int, load, map, nul, secretsError, seq, str, text, time } from './helpers.js';
import { itShared, sharedPath } from '../../../../../test/support/shared.js';

const dotenv = new DotenvStore();
const ini = new IniStore();
const binary = new BinaryStore();

describe('dotenv store (sops semantics)', () => {
  const PLAIN = 'VAR1=val1\nVAR2=val2\n#comment\nVAR3_unencrypted=val3\nVAR4=val4\\nval4\n';
  const BRANCH = map(e('VAR1', str('val1')), e('VAR2', str('val2')), c('comment'), e('VAR3_unencrypted', str('val3')), e('VAR4', str('val4\nval4')));

  it('sops stores/dotenv TestLoadPlainFile / TestEmitPlainFile', () => {
    expect(load(dotenv, PLAIN)).toEqual(doc(BRANCH));
    expect(emit(dotenv, doc(BRANCH))).toBe(PLAIN);
  });

  it('keeps keys untrimmed, splits at the first "=", skips empty lines, has no quoting or export', () => {
    expect(load(dotenv, 'foo =bar\n\n\nA==b=c\nexport X="q" \n =x\nK=\r\n')).toEqual(
      doc(map(e('foo ', str('bar')), e('A', str('=b=c')), e('export X', str('"q" ')), e(' ', str('x')), e('K', str('\r')))),
    );
  });

  it('rejects a line without "=" without echoing it', () => {
    const err = secretsError(() => load(dotenv, 'A=1\nsecret-looking-line\n'));
    expect(err.code).toBe('SOPS_FORMAT_INVALID');
    expect(err.message).toBe('invalid dotenv input line 2: no "=" found');
  });

  it('writes non-strings with ValToString and refuses nested values', () => {
    const out = emit(
      dotenv,
      doc(
        map(
          e('i', int(-5)),
          e('f1', float(1)),
          e('f2', float(1.5)),
          e('f3', float(1e21)),
          e('f4', float(1e-7)),
          e('f5', float(123456789)),
          e('nan', float(NaN)),
          e('inf', float(Infinity)),
          e('b', bool(true)),
          e('n', nul),
          e('t', time('2001-12-14T21:59:43.1-05:00')),
        ),
      ),
    );
    expect(out).toBe('i=-5\nf1=1.0\nf2=1.5\nf3=1E+21\nf4=1E-07\nf5=1.23456789E+08\nnan=NaN\ninf=+Inf\nb=true\nn=<nil>\nt=2001-12-14T21:59:43-05:00\n');
    expect(secretsError(() => emit(dotenv, doc(map(e('x', seq()))))).message).toBe('cannot use complex value in dotenv file; offending key x');
    expect(secretsError(() => emit(dotenv, doc(map(e('a=b', str('x')))))).code).toBe('SOPS_VALUE_INVALID');
    expect(secretsError(() => emit(dotenv, doc(map(e('#a', str('x')))))).code).toBe('SOPS_VALUE_INVALID');
    expect(secretsError(() => emit(dotenv, doc(map(c('a\nb'))))).code).toBe('SOPS_VALUE_INVALID');
  });

  it('emitValue only writes strings', () => {
    expect(text(dotenv.emitValue(str('hello')))).toBe('hello');
    expect(secretsError(() => dotenv.emitValue(map())).code).toBe('SOPS_VALUE_INVALID');
  });

  it('flattens metadata with the sops_ prefix, in the given order, and unflattens it sorted', () => {
    const md = map(
      e('age', seq(map(e('enc', str('-----BEGIN\nX\n-----END\n')), e('recipient', str('age1x'))))),
      e('lastmodified', str('2026-01-01T00:00:00Z')),
      e('mac_only_encrypted', bool(true)),
      e('version', str('3.13.2')),
    );
    const out = text(dotenv.emitEncrypted(doc(map(c(' c'), e('A', str('1')))), md));
    expect(out).toBe(
      '# c\nA=1\nsops_age__list_0__map_enc=-----BEGIN\\nX\\n-----END\\n\nsops_age__list_0__map_recipient=age1x\nsops_lastmodified=2026-01-01T00:00:00Z\nsops_mac_only_encrypted=true\nsops_version=3.13.2\n',
    );
    const back = dotenv.loadEncrypted(bytes(out));
    expect(back.document).toEqual(doc(map(c(' c'), e('A', str('1')))));
    expect(back.metadata).toEqual(
      map(
        e('age', seq(map(e('enc', str('-----BEGIN\nX\n-----END\n')), e('recipient', str('age1x'))))),
        e('lastmodified', str('2026-01-01T00:00:00Z')),
        e('mac_only_encrypted', str('true')),
        e('version', str('3.13.2')),
      ),
    );
  });

  itShared('vectors', 'writes the sorted (sops 3.13) order for metadata it did not load itself', () => {
    const file = new Uint8Array(readFileSync(sharedPath('vectors', 'sops-nix/secrets.env')));
    const { document, metadata } = dotenv.loadEncrypted(file);
    const copy = JSON.parse(JSON.stringify(metadata));
    const keys = text(dotenv.emitEncrypted(document, copy))
      .split('\n')
      .filter((l) => l.startsWith('sops_'))
      .map((l) => l.slice(0, l.indexOf('=')));
    expect(keys).toEqual([
      'sops_lastmodified',
      'sops_mac',
      'sops_pgp__list_0__map_created_at',
      'sops_pgp__list_0__map_enc',
      'sops_pgp__list_0__map_fp',
      'sops_pgp__list_1__map_created_at',
      'sops_pgp__list_1__map_enc',
      'sops_pgp__list_1__map_fp',
      'sops_unencrypted_suffix',
      'sops_version',
    ]);
  });

  it('rejects data keys with the sops_ prefix and reports missing or broken metadata', () => {
    expect(secretsError(() => dotenv.emitEncrypted(doc(map(e('sops_x', str('1')))), map())).code).toBe('SOPS_VALUE_INVALID');
    expect(secretsError(() => dotenv.loadEncrypted(bytes('A=1\n'))).code).toBe('SOPS_METADATA_NOT_FOUND');
    expect(secretsError(() => dotenv.loadEncrypted(bytes('sops_a=1\nsops_a__map_b=2\n'))).code).toBe('SOPS_METADATA_INVALID');
    expect(secretsError(() => dotenv.loadEncrypted(bytes('sops_a__list_1=1\n'))).code).toBe('SOPS_METADATA_INVALID');
    expect(secretsError(() => dotenv.loadEncrypted(bytes('sops_a=1\nsops_a=2\n'))).code).toBe('SOPS_METADATA_INVALID');
  });

  it('rejects invalid UTF-8', () => {
    expect(secretsError(() => dotenv.loadPlain(new Uint8Array([0x41, 0x3d, 0xff]))).code).toBe('SOPS_FORMAT_INVALID');
  });
});

describe('INI store (gopkg.in/ini.v1 as sops uses it)', () => {
  it('sops stores/ini TestDecodeIni', () => {
    const src =
      '\n; last modified 1 April 2001 by John Doe\n[owner]\nname=John Doe\norganization=Acme Widgets Inc.\n\n[database]\n; use IP address in case network name resolution is not working\nserver=192.0.2.62     \nport=143\nfile="payroll.dat"\n';
    expect(load(ini, src)).toEqual(
      doc(
        map(
          e('DEFAULT', map()),
          e('owner', map(c('last modified 1 April 2001 by John Doe'), e('name', str('John Doe')), e('organization', str('Acme Widgets Inc.')))),
          e(
            'database',
            map(e('server', str('192.0.2.62')), c('use IP address in case network name resolution is not working'), e('port', str('143')), e('file', str('payroll.dat'))),
          ),
        ),
      ),
    );
  });

  it('writes sections, aligned "=", comments and quoting like ini.v1', () => {
    const d = doc(
      map(
        e('DEFAULT', map(e('top', str('1')))),
        e(
          's',
          map(
            c('section comment'),
            e('k', str('v')),
            c('after k'),
            e('longer_key', str('a;b')),
            e('sp', str(' padded ')),
            e('nl', str('x\ny')),
            e('bt', str('a`b')),
            e('k:q', str('1')),
            e('e', str('')),
          ),
        ),
        e('t', map()),
      ),
    );
    const out = emit(ini, d);
    expect(out).toBe(
      'top = 1\n\n; section comment\n[s]\n; after k\nk          = v\nlonger_key = `a;b`\nsp         = " padded "\nnl         = """x\ny"""\nbt         = """a`b"""\n`k:q`      = 1\ne          = \n\n[t]\n',
    );
    expect(load(ini, out)).toEqual(d);
  });

  it('parses ini.v1 details: ":" delimiter, inline comments, quotes, continuation, duplicates, auto-increment', () => {
    const src = 'a: 1\nb = x # tail\nc = \'q\'\nd = "a"b"\ne = one \\\n  two\nb = again\n- = first\n- = second\n"k k" = v\n`x=y` = z\n';
    expect(load(ini, src)).toEqual(
      doc(
        map(
          e(
            'DEFAULT',
            map(
              e('a', str('1')),
              e('b', str('again')),
              e('c', str('q')),
              e('d', str('"a"b"')),
              e('e', str('one two')), // TrimSpace keeps the space before the backslash
              e('#1', str('first')),
              e('#2', str('second')),
              e('k k', str('v')),
              e('x=y', str('z')),
            ),
          ),
        ),
      ),
    );
  });

  it('rejects what ini.v1 rejects and what it could not read back', () => {
    for (const bad of ['[open\n', 'novalue\n', '=x\n', '[]\n', 'k = """a\nb\n']) {
      expect(secretsError(() => load(ini, bad)).code).toBe('SOPS_FORMAT_INVALID');
    }
    expect(secretsError(() => emit(ini, doc(map(e('s', str('x')))))).code).toBe('SOPS_VALUE_INVALID');
    expect(secretsError(() => emit(ini, doc(map(e('s', map(e('k', map()))))))).code).toBe('SOPS_VALUE_INVALID');
    expect(secretsError(() => emit(ini, doc(map(e('s', map(e('#k', str('v')))))))).code).toBe('SOPS_VALUE_INVALID');
    expect(secretsError(() => emit(ini, doc(map(e('', map()))))).code).toBe('SOPS_VALUE_INVALID');
  });

  it('writes non-strings with ValToString', () => {
    expect(emit(ini, doc(map(e('s', map(e('i', int(3)), e('f', float(3)), e('b', bool(false)))))))).toBe('[s]\ni = 3\nf = 3.0\nb = false\n');
  });

  it('emitValue writes scalars as JSON', () => {
    expect(text(ini.emitValue(str('a"b')))).toBe('"a\\"b"');
    expect(text(ini.emitValue(int(3)))).toBe('3');
    expect(secretsError(() => ini.emitValue(map())).code).toBe('SOPS_VALUE_INVALID');
  });

  it('metadata: [sops] section, flattened without prefix, newlines as a literal \\n', () => {
    const md = map(e('pgp', seq(map(e('enc', str('A\nB\n')), e('fp', str('F'))))), e('version', str('3.13.2')));
    const out = text(ini.emitEncrypted(doc(map(e('DEFAULT', map()), e('s', map(e('k', str('v')))))), md));
    expect(out).toBe('[s]\nk = v\n\n[sops]\npgp__list_0__map_enc = A\\nB\\n\npgp__list_0__map_fp  = F\nversion              = 3.13.2\n');
    expect(ini.loadEncrypted(bytes(out))).toEqual({ document: doc(map(e('DEFAULT', map()), e('s', map(e('k', str('v')))))), metadata: md });
  });

  it('reads the """ multi-line metadata of sops 3.13.0/3.13.1', () => {
    const src = '[s]\nk = v\n\n[sops]\npgp__list_0__map_enc = """A\nB\n"""\nversion = 3.13.1\n';
    expect(ini.loadEncrypted(bytes(src)).metadata).toEqual(map(e('pgp', seq(map(e('enc', str('A\nB\n'))))), e('version', str('3.13.1'))));
  });

  it('rejects a second [sops] section and a data section named sops', () => {
    expect(secretsError(() => ini.loadEncrypted(bytes('[sops]\na=1\n[sops]\nb=2\n'))).code).toBe('SOPS_METADATA_INVALID');
    expect(secretsError(() => ini.loadEncrypted(bytes('[x]\na=1\n'))).code).toBe('SOPS_METADATA_NOT_FOUND');
    expect(secretsError(() => ini.emitEncrypted(doc(map(e('sops', map()))), map())).code).toBe('SOPS_VALUE_INVALID');
  });
});

describe('binary store', () => {
  it('wraps the whole file under data and writes it back byte for byte', () => {
    const content = bytes('line 1\nline 2 "quoted" \u{1F600}\n');
    const d = binary.loadPlain(content);
    expect(d).toEqual(doc(map(e('data', str('line 1\nline 2 "quoted" \u{1F600}\n')))));
    expect(binary.emitPlain(d)).toEqual(content);
  });

  it('keeps non-UTF-8 files as bytes', () => {
    const raw = new Uint8Array([0, 1, 0xff, 0xfe, 0x80]);
    const d = binary.loadPlain(raw);
    expect(d.branches[0]!.items[0]).toEqual(e('data', { kind: 'bytes', value: raw }));
    expect(binary.emitPlain(d)).toEqual(raw);
    expect(binary.emitPlain(doc(map(e('data', str(''))))).length).toBe(0);
  });

  it('fails like sops, with a hint to use --output-type', () => {
    for (const d of [doc(), doc(map(), map()), doc(map(e('x', str('1')))), doc(map(e('data', int(1))))]) {
      const err = secretsError(() => binary.emitPlain(d));
      expect(err.code).toBe('SOPS_FORMAT_INVALID');
      expect(err.hints.join(' ')).toContain('--output-type');
    }
    expect(secretsError(() => binary.emitValue(str('x'))).hints.join(' ')).toContain('--output-type');
  });

  it('writes the encrypted envelope as JSON with a tab, or the configured indentation', () => {
    const md = map(e('version', str('3.13.2')));
    const d = doc(map(e('data', str('ENC[x]'))));
    expect(text(binary.emitEncrypted(d, md))).toBe('{\n\t"data": "ENC[x]",\n\t"sops": {\n\t\t"version": "3.13.2"\n\t}\n}\n');
    expect(text(new BinaryStore({ indent: 1 }).emitEncrypted(d, md))).toBe('{\n "data": "ENC[x]",\n "sops": {\n  "version": "3.13.2"\n }\n}\n');
    expect(binary.loadEncrypted(binary.emitEncrypted(d, md))).toEqual({ document: d, metadata: md });
  });
});
