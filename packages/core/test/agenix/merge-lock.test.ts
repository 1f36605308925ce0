import { describe, expect, it } from 'vitest';
import { mergeAgenixLock, type LockEntry } from '../../src/agenix/recipient-state.js';

const entry = (r: string, f: string): LockEntry => ({ recipients: `sha256:${r.repeat(64)}`, sha256: f.repeat(64) });

describe('mergeAgenixLock', () => {
  it('applies only what this writer changed, keeps what others wrote meanwhile', () => {
    const original = new Map([['a.age', entry('1', 'a')], ['b.age', entry('1', 'b')]]);
    // This writer rewrote a.age and created c.age; b.age untouched.
    const ours = new Map([...original, ['a.age', entry('2', 'c')], ['c.age', entry('2', 'd')]]);
    // Meanwhile another writer rewrote b.age and created d.age.
    const current = new Map([['a.age', entry('1', 'a')], ['b.age', entry('3', 'e')], ['d.age', entry('3', 'f')]]);
    const onDisk: Record<string, string> = { 'a.age': 'c'.repeat(64), 'b.age': 'e'.repeat(64), 'c.age': 'd'.repeat(64), 'd.age': 'f'.repeat(64) };
    const merged = mergeAgenixLock(current, original, ours, (n) => onDisk[n] ?? null);
    expect(Object.fromEntries(merged)).toEqual({ 'a.age': entry('2', 'c'), 'b.age': entry('3', 'e'), 'c.age': entry('2', 'd'), 'd.age': entry('3', 'f') });
  });

  it('does not record a file someone else rewrote (or removed) after this writer', () => {
    const ours = new Map([['a.age', entry('2', 'c')], ['g.age', entry('2', 'g')]]);
    const current = new Map([['a.age', entry('4', '9')]]);
    const merged = mergeAgenixLock(current, new Map(), ours, (n) => (n === 'a.age' ? '9'.repeat(64) : null));
    expect(Object.fromEntries(merged)).toEqual({ 'a.age': entry('4', '9') });
  });
});
