import type { Type } from '@nestjs/common';
import { getSchemaPath, type OpenAPIObject, type SchemaObject } from '@nestjs/swagger';
import { journalEntryTypes } from './journal-entry-type';
import { JournalEntryDto } from './journal.dto';

/** The payload classes, to pass as `extraModels` so each gets its schema in components. */
export function journalPayloadModels(): Type<object>[] {
  return [...journalEntryTypes().values()];
}

/**
 * Turns `JournalEntryDto` into a union discriminated by `type`: one variant per declared entry type
 * (`JobQueuedV1Entry` for `job.queued.v1`), with the common fields and a `payload` of that type's
 * schema. Needs the payload models in the document (see {@link journalPayloadModels}).
 */
export function describeJournalEntries(document: OpenAPIObject): void {
  const schemas = (document.components ??= {}).schemas ?? {};
  const base = schemas[JournalEntryDto.name] as SchemaObject | undefined;
  if (!base?.properties) throw new Error(`${JournalEntryDto.name} is not in the document`);
  const mapping: Record<string, string> = {};
  for (const [type, payload] of [...journalEntryTypes()].sort(([a], [b]) => a.localeCompare(b))) {
    const name = variantName(type);
    schemas[name] = {
      ...base,
      description: `Journal entry \`${type}\`.`,
      properties: {
        ...base.properties,
        type: { type: 'string', enum: [type] },
        payload: { $ref: getSchemaPath(payload) },
      },
    };
    mapping[type] = getSchemaPath(name);
  }
  schemas[JournalEntryDto.name] = {
    description: 'One journal entry; `type` (`<area>.<event>.v<N>`) says which payload it carries.',
    oneOf: Object.values(mapping).map(($ref) => ({ $ref })),
    discriminator: { propertyName: 'type', mapping },
  };
}

/** `job.queued.v1` → `JobQueuedV1Entry`. */
function variantName(type: string): string {
  const pascal = type
    .split(/[._]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
  return `${pascal}Entry`;
}
