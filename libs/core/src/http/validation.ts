import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage, MetadataStorage } from 'class-validator';
import { DomainError, ErrorDetail, validationFailed } from '../domain-error';
import { nearName } from '../near-names';

/** What an unknown name is, by where it was sent (class-validator only says "should not exist"). */
const UNKNOWN_NAME: Partial<Record<ArgumentMetadata['type'], string>> = {
  query: 'unknown query parameter',
  body: 'unknown field',
  param: 'unknown path parameter',
};

/** class-validator's type checks: when one fails, the field's range and length rules say nothing useful. */
const TYPE_CONSTRAINTS = new Set(['isInt', 'isNumber', 'isString', 'isBoolean', 'isArray', 'isObject']);

function flatten(
  errors: ValidationError[],
  where: ArgumentMetadata['type'],
  parent = '',
  parentIsList = false,
): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  for (const error of errors) {
    // An entry of a list is `participants[0]`, as the handlers that check lists by hand name it.
    const field = parentIsList
      ? `${parent}[${error.property}]`
      : parent
        ? `${parent}.${error.property}`
        : error.property;
    const all = Object.entries(error.constraints ?? {});
    // A required field left out is "name is required", not the first rule its absence breaks
    // ("name must be a string"); an unknown name is always present, so it is not one.
    if (error.value === undefined && all.length > 0 && !all.some(([c]) => c === 'whitelistValidation')) {
      out.push({ field, message: `${field} is required` });
      continue;
    }
    // `"5"` for an integer is "must be an integer number", not that plus "must not be less than 0".
    const wrongType = all.filter(([constraint]) => TYPE_CONSTRAINTS.has(constraint));
    // `?limit=1&limit=2` arrives as a list: say so, not that a list is not a number or not one of
    // the values (`sort`). A parameter that may be repeated (`status`) is joined by its @Transform
    // before validation, so a list still here is one the field does not take.
    if (where === 'query' && Array.isArray(error.value)) {
      out.push({ field, message: `${field} is given ${error.value.length} times; give it once` });
      continue;
    }
    for (const [constraint, message] of wrongType.length ? wrongType : all) {
      if (constraint === 'whitelistValidation') {
        out.push({ field, message: `${UNKNOWN_NAME[where] ?? 'unknown parameter'} ${field}` });
        continue;
      }
      // class-validator messages start with the bare property name; show the full path instead.
      const text = message.startsWith(`${error.property} `)
        ? message.slice(error.property.length + 1)
        : message;
      out.push({ field, message: `${field} ${text}` });
    }
    if (error.children?.length)
      out.push(...flatten(error.children, where, field, Array.isArray(error.value)));
  }
  return out;
}

/**
 * The keys of an object inside a body that it does not take, each a 400 detail named by its full
 * path and worded as the pipe words an unknown top-level field: `unknown field
 * depends_on[0].conditon (did you mean condition?)`, else `(it takes queue_id, condition)`. For
 * objects a handler checks by hand (a list of objects, a union the pipe cannot whitelist); `at` ''
 * for a body checked by hand.
 */
export function unknownFields(value: object, known: readonly string[], at: string): ErrorDetail[] {
  return Object.keys(value)
    .filter((key) => !known.includes(key))
    .map((key) => {
      const field = at ? `${at}.${key}` : key;
      const near = nearName(key, known);
      const hint = near ? `did you mean ${near}?` : `it takes ${known.join(', ')}`;
      return { field, message: `unknown field ${field} (${hint})` };
    });
}

/**
 * Query parameters that carry credentials (`?token=`, read by the auth gate) on any route: never part
 * of a route's own query, so whitelisting must not refuse them.
 */
export const CREDENTIAL_QUERY_PARAMS = ['token'] as const;

/** A lone surrogate: in `u` mode a paired surrogate is one code point, so only unpaired halves match. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The path (`env.FOO`, `job_params.argv.0`) of the first string — value or object key — that is not
 * well-formed Unicode, or null. Such strings cannot be stored or served as valid UTF-8 / strict JSON.
 * Iterative, so deep input cannot overflow the stack.
 */
export function findIllFormedString(value: unknown, root = ''): string | null {
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length > 0) {
    const [node, path] = stack.pop()!;
    if (typeof node === 'string') {
      if (LONE_SURROGATE.test(node)) return path;
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    for (const [key, child] of Object.entries(node as Record<string, unknown>)) {
      const at = path ? `${path}.${key}` : key;
      if (LONE_SURROGATE.test(key)) return at;
      stack.push([child, at]);
    }
  }
  return null;
}

/**
 * Whitelisting validation whose failures name every bad field (credential query params excepted).
 * Before any DTO rule, every string in the body, query and path parameters (keys included, however
 * deep) must be well-formed Unicode.
 */
class TrainyardValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'query' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const query = { ...(value as Record<string, unknown>) };
      for (const name of CREDENTIAL_QUERY_PARAMS) delete query[name];
      value = query;
    }
    // A DTO body is an object: `null`, an array or a bare value is refused here, not passed on as
    // "no fields" (an absent body, `undefined`, stays absent).
    const dtoBody =
      metadata.type === 'body' && metadata.metatype !== undefined && metadata.metatype !== Object;
    if (
      dtoBody &&
      value !== undefined &&
      (value === null || typeof value !== 'object' || Array.isArray(value))
    ) {
      throw validationFailed([{ field: 'body', message: 'the request body must be a JSON object' }]);
    }
    if (metadata.type !== 'custom') {
      const found = findIllFormedString(value, metadata.data ?? '');
      if (found !== null) {
        // The name itself may hold the lone surrogate: report it with U+FFFD in its place.
        const field = (found || metadata.type).replace(/\p{Cs}/gu, '\uFFFD');
        const message = `${field} is not well-formed Unicode (it contains an unpaired surrogate)`;
        throw validationFailed([{ field, message }]);
      }
    }
    try {
      const out: unknown = await super.transform(value, metadata);
      if (dtoBody) dropNulls(out);
      return out;
    } catch (err) {
      if (err instanceof FailedValidation) throw validationFailed(flatten(err.errors, metadata.type));
      throw err;
    }
  }
}

/**
 * An optional field sent as `null` is left out, at every level of a DTO, unless its type takes null
 * (`T | null`, or `nullable` in its `@ApiProperty`): then null means what its description says. A
 * client may send a record's nulls back as they are, and no handler meets a null its type does not
 * admit (set-password's `current_password: null` was a 500). Plain objects (`job_params`, `env`)
 * are values, not DTOs: their nulls are kept.
 */
function dropNulls(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) dropNulls(item);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const type = value.constructor;
  if (type === Object || type === undefined) return;
  const fields = value as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (fields[key] === null) {
      if (!takesNull(type, key)) delete fields[key];
    } else dropNulls(fields[key]);
  }
}

const NULLABLE = new WeakMap<object, Map<string, boolean>>();

/** Whether DTO class `type` (or a class it extends) declares `key` nullable in its OpenAPI metadata. */
function takesNull(type: object, key: string): boolean {
  let known = NULLABLE.get(type);
  if (!known) NULLABLE.set(type, (known = new Map<string, boolean>()));
  let answer = known.get(key);
  if (answer === undefined) {
    answer = false;
    for (
      let c = type as { prototype?: object } | null;
      c && c !== Function.prototype;
      c = Object.getPrototypeOf(c) as { prototype?: object } | null
    ) {
      // The swagger CLI plugin writes each class's own properties into this factory; an explicit
      // @ApiProperty keeps its options as reflect metadata.
      const factory = Object.prototype.hasOwnProperty.call(c, '_OPENAPI_METADATA_FACTORY')
        ? (
            c as { _OPENAPI_METADATA_FACTORY(): Record<string, { nullable?: boolean }> }
          )._OPENAPI_METADATA_FACTORY()
        : {};
      const declared = c.prototype
        ? (Reflect.getMetadata('swagger/apiModelProperties', c.prototype, key) as
            { nullable?: boolean } | undefined)
        : undefined;
      if (factory[key]?.nullable || declared?.nullable) {
        answer = true;
        break;
      }
    }
    known.set(key, answer);
  }
  return answer;
}

/** class-validator's errors, carried out of ValidationPipe to `transform`, which knows where they came from. */
class FailedValidation extends Error {
  constructor(readonly errors: ValidationError[]) {
    super('validation failed');
  }
}

type ValidationMetadata = Parameters<MetadataStorage['addValidationMetadata']>[0];
const MEMOIZED = Symbol('trainyard.memoizedValidationMetadata');

/**
 * Makes class-validator's rule lookup (`getTargetValidationMetadatas`) answer from a cache. Upstream
 * it scans the rules of every registered class, with an `instanceof` test per class, on each
 * validated object — twice per request with Nest's pipe, ~20 µs of a durable submit's CPU. The
 * answer depends only on the registered rules and the lookup's arguments, so it is kept per class
 * and arguments until a rule is registered (`addValidationMetadata`, which decorators and
 * `registerSchema` call), which empties the cache. Idempotent.
 */
export function memoizeValidationMetadata(storage: MetadataStorage = getMetadataStorage()): void {
  const marked = storage as MetadataStorage & { [MEMOIZED]?: true };
  if (marked[MEMOIZED]) return;
  marked[MEMOIZED] = true;
  const lookup = storage.getTargetValidationMetadatas.bind(storage);
  const add = storage.addValidationMetadata.bind(storage);
  let cache = new WeakMap<object, Map<string, ValidationMetadata[]>>();
  storage.addValidationMetadata = (metadata: ValidationMetadata): void => {
    cache = new WeakMap();
    add(metadata);
  };
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    if (typeof target !== 'function') return lookup(target, schema, always, strictGroups, groups);
    const key = JSON.stringify([schema, always, strictGroups, groups ?? null]);
    let byArgs = cache.get(target);
    if (!byArgs) cache.set(target, (byArgs = new Map<string, ValidationMetadata[]>()));
    let found = byArgs.get(key);
    if (!found) byArgs.set(key, (found = lookup(target, schema, always, strictGroups, groups)));
    return found;
  };
}

export function createValidationPipe(): ValidationPipe {
  memoizeValidationMetadata();
  return new TrainyardValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    // Keep the values of errors that hold others: `flatten` names a list's entries `list[0]` by them.
    validationError: { target: false, value: true },
    exceptionFactory: (errors) => new FailedValidation(errors),
  });
}

/**
 * Refuses a query that gives more than one of `names`, which each say the same thing another way
 * (where a log read starts): 400 VALIDATION_FAILED "give one of a, b and c, not a and b" ("give a or
 * b, not both"), its field the second one given.
 */
export function atMostOneOf<T extends object>(query: T, names: readonly (keyof T & string)[]): void {
  const given = names.filter((name) => query[name] !== undefined);
  if (given.length < 2) return;
  const choices = `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  const message =
    names.length === 2
      ? `give ${names[0]} or ${names[1]}, not both`
      : `give one of ${choices}, not ${given.join(' and ')}`;
  throw new DomainError('VALIDATION_FAILED', message, [{ field: given[1], message }]);
}
