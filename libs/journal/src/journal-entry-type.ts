import type { Type } from '@nestjs/common';
import type { IEvent } from '@nestjs/cqrs';
import { ApiSchema } from '@nestjs/swagger';

/**
 * An event that is also a journal entry. Its class is declared with {@link JournalEntryType}; its own
 * fields are the entry's payload (and, through the swagger plugin reading `*.events.ts`, its schema).
 */
export type JournaledEvent = IEvent;

/**
 * `<area>.<event>.v<N>`. A payload is never changed in place: adding, removing or re-meaning a field
 * is a new class with `.v<N+1>`, and the old class and its replay rule stay so older journals apply.
 */
const ENTRY_TYPE = /^[a-z][a-z_]*\.[a-z][a-z_]*\.v[1-9][0-9]*$/;
const TYPE_OF = Symbol('journalEntryType');

const declared = new Map<string, Type<object>>();

/**
 * Declares an event class as the one schema of journal entry `type` (e.g. `job.queued.v1`);
 * `description` says what happened and what a replica does with it (it documents the payload in the
 * OpenAPI spec). Throws at load time on a malformed name or a second class claiming the same name.
 */
export function JournalEntryType(type: string, description: string): ClassDecorator {
  if (!ENTRY_TYPE.test(type)) throw new Error(`journal entry type "${type}" is not <area>.<event>.v<N>`);
  const schema = ApiSchema({ description: `Payload of journal entry \`${type}\`: ${description}` });
  return (target) => {
    schema(target);
    const existing = declared.get(type);
    // Same name again = the module was evaluated twice (jest module registries), not a conflict.
    if (existing && existing.name !== target.name) {
      throw new Error(`journal entry type ${type} is declared by both ${existing.name} and ${target.name}`);
    }
    declared.set(type, target as unknown as Type<object>);
    Object.defineProperty(target, TYPE_OF, { value: type });
  };
}

/** The entry type of an event (instance) or event class; throws if its class was never declared. */
export function journalEntryTypeOf(eventOrClass: object): string {
  const cls = (typeof eventOrClass === 'function' ? eventOrClass : eventOrClass.constructor) as {
    [TYPE_OF]?: string;
    name: string;
  };
  const type = Object.prototype.hasOwnProperty.call(cls, TYPE_OF) ? cls[TYPE_OF] : undefined;
  if (!type) throw new Error(`${cls.name} is not a journal entry type: declare it with @JournalEntryType`);
  return type;
}

/** Every declared entry type and its payload class, in declaration order. */
export function journalEntryTypes(): ReadonlyMap<string, Type<object>> {
  return declared;
}
