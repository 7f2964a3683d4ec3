import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatePaths } from '@trainyard/core';
import { loadOrCreateNodeId } from './node-id';

describe(loadOrCreateNodeId.name, () => {
  let home: string;
  beforeEach(() => (home = mkdtempSync(join(tmpdir(), 'trainyard-node-id-'))));
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('makes a lower-case UUID once and keeps it', () => {
    const id = loadOrCreateNodeId(new StatePaths(home));
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(loadOrCreateNodeId(new StatePaths(home))).toBe(id);
  });

  it('reads a hand-written upper-case id as its lower case (as the API takes it)', () => {
    writeFileSync(join(home, 'node_id'), 'ABCDEF01-2345\n');
    expect(loadOrCreateNodeId(new StatePaths(home))).toBe('abcdef01-2345');
  });

  it('refuses an id no request could name, saying what a node id is and how to fix it', () => {
    writeFileSync(join(home, 'node_id'), 'gpu-box-1\n');
    expect(() => loadOrCreateNodeId(new StatePaths(home))).toThrow(
      `${join(home, 'node_id')} must be a node id: lower-case hex digits and dashes`,
    );
    expect(() => loadOrCreateNodeId(new StatePaths(home))).toThrow(/remove it and a new id is made/);
    expect(readFileSync(join(home, 'node_id'), 'utf8')).toBe('gpu-box-1\n');
  });
});
