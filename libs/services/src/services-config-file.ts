import { readFileSync, statSync } from 'node:fs';
import { Document, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { DomainError, writeFileAtomic, yamlErrorLine } from '@trainyard/core';

/**
 * Edits of the `services:` block of server_config.yaml. The file is edited as a YAML document (never
 * regenerated), so the user's comments, blank lines and key order survive; a changed scalar keeps its
 * trailing comment. Pure text → text; ServicesConfigFile does the atomic write.
 */

/** `[--a]` stays `[--a]`, as users write it. */
const TO_STRING = { flowCollectionPadding: false } as const;

/** `entry` is the whole entry (operator keys and args): keys it lacks are removed, new ones appended. */
export function upsertServiceEntry(
  text: string,
  type: string,
  name: string,
  entry: Record<string, unknown>,
): string {
  const doc = parse(text);
  const path = ['services', type, name];
  ensureMap(doc, ['services']);
  ensureMap(doc, ['services', type]);
  const existing = doc.getIn(path, true);
  if (!isMap(existing)) {
    doc.setIn(path, doc.createNode(entry));
    return doc.toString(TO_STRING);
  }
  for (const pair of [...existing.items]) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    if (!(key in entry)) existing.delete(pair.key);
  }
  for (const [key, value] of Object.entries(entry)) {
    const node = existing.get(key, true);
    const scalarValue = value === null || typeof value !== 'object';
    // Same kind of scalar: change the value in place, so its comment stays with it.
    if (isScalar(node) && scalarValue) node.value = value;
    else if (!sameCollection(node, value)) existing.set(key, doc.createNode(value));
  }
  return doc.toString(TO_STRING);
}

export function deleteServiceEntry(text: string, type: string, name: string): string {
  const doc = parse(text);
  doc.deleteIn(['services', type, name]);
  const group = doc.getIn(['services', type], true);
  if (isMap(group) && group.items.length === 0) doc.deleteIn(['services', type]);
  return doc.toString(TO_STRING);
}

/** The `services:` block as plain data (what the loader would read). */
export function servicesBlock(text: string): unknown {
  return (parse(text).toJS() as { services?: unknown } | null)?.services;
}

function parse(text: string): Document {
  const doc = parseDocument(text) as Document;
  if (doc.errors.length) {
    throw new DomainError(
      'CONFLICT',
      `server_config.yaml is not valid YAML (${yamlErrorLine(doc.errors[0])}); fix it before changing services`,
    );
  }
  if (doc.contents === null) doc.contents = doc.createNode({});
  if (!isMap(doc.contents))
    throw new DomainError('CONFLICT', 'server_config.yaml: the top level must be a mapping');
  return doc;
}

/** Makes `path` a mapping: created when missing or empty (`services:` with nothing under it). */
function ensureMap(doc: Document, path: string[]): void {
  const node = doc.getIn(path, true);
  if (isMap(node)) return;
  if (node === undefined || (isScalar(node) && node.value === null)) {
    doc.setIn(path, doc.createNode({}));
    return;
  }
  throw new DomainError('CONFLICT', `server_config.yaml: ${path.join('.')} must be a mapping`);
}

/** A list or map whose content already equals `value` is left alone (with its comments). */
function sameCollection(node: unknown, value: unknown): boolean {
  if (!(isSeq(node) || isMap(node))) return false;
  return JSON.stringify(node.toJSON()) === JSON.stringify(value);
}

/** The config file on disk: read fresh for every edit, written atomically with its mode kept. */
export class ServicesConfigFile {
  constructor(readonly path: string) {}

  read(): string {
    try {
      return readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw err;
    }
  }

  /** Applies `edit` to the current text and writes the result (temp file + fsync + rename). */
  update(edit: (text: string) => string): string {
    const next = edit(this.read());
    let mode = 0o600;
    try {
      mode = statSync(this.path).mode & 0o777;
    } catch {
      /* a new file gets 0600 */
    }
    writeFileAtomic(this.path, next, mode);
    return next;
  }
}
