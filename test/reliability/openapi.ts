/** Reads openapi/openapi.json into a flat list of operations, and checks values against its schemas. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Schema {
  $ref?: string;
  allOf?: Schema[];
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  nullable?: boolean;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  schema: Schema;
}

export interface Operation {
  operationId: string;
  method: string;
  /** As in the spec: `/api/jobs/{queue_id}`. */
  path: string;
  parameters: Parameter[];
  body?: Schema;
  /** `security: []` in the spec: documented as open. */
  open: boolean;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

export function loadSpec(): any {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', 'openapi', 'openapi.json'), 'utf8'));
}

export function operations(spec: any): Operation[] {
  const resolve = (schema: Schema | undefined): Schema | undefined => {
    if (!schema) return undefined;
    if (schema.$ref) {
      const name = schema.$ref.replace('#/components/schemas/', '');
      return resolve(spec.components.schemas[name]);
    }
    if (schema.allOf?.length === 1) return resolve(schema.allOf[0]);
    if (schema.properties) {
      return {
        ...schema,
        properties: Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, resolve(v)!])),
      };
    }
    return schema;
  };
  const out: Operation[] = [];
  for (const [path, item] of Object.entries<any>(spec.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      // One parameter per (in, name) with headers case-insensitive: the committed spec lists the
      // Idempotency-Key header twice (once lower-case and required, once as documented).
      const params = new Map<string, Parameter>();
      for (const p of [...(item.parameters ?? []), ...(op.parameters ?? [])]) {
        const key = `${p.in}:${p.in === 'header' ? String(p.name).toLowerCase() : p.name}`;
        const previous = params.get(key);
        params.set(key, {
          name: previous?.name ?? p.name,
          in: p.in,
          required: previous ? previous.required && Boolean(p.required) : Boolean(p.required),
          schema: resolve(p.schema) ?? {},
        });
      }
      out.push({
        operationId: op.operationId ?? `${method} ${path}`,
        method: method.toUpperCase(),
        path,
        parameters: [...params.values()],
        body: resolve(op.requestBody?.content?.['application/json']?.schema),
        open: Array.isArray(op.security) && op.security.length === 0,
      });
    }
  }
  return out;
}

/** Does `value` break `schema`? (The subset of JSON Schema the spec uses.) */
export function violates(schema: Schema | undefined, value: unknown): boolean {
  if (!schema) return false;
  if (value === null) return !schema.nullable;
  if (schema.enum && !schema.enum.includes(value)) return true;
  switch (schema.type) {
    case 'string': {
      if (typeof value !== 'string') return true;
      const length = [...value].length;
      if (schema.maxLength !== undefined && length > schema.maxLength) return true;
      if (schema.minLength !== undefined && length < schema.minLength) return true;
      if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) return true;
      return false;
    }
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return true;
      if (schema.type === 'integer' && !Number.isInteger(value)) return true;
      if (schema.minimum !== undefined && value < schema.minimum) return true;
      if (schema.maximum !== undefined && value > schema.maximum) return true;
      return false;
    }
    case 'boolean':
      return typeof value !== 'boolean';
    case 'array':
      return !Array.isArray(value) || value.some((v) => violates(schema.items, v));
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return true;
      const record = value as Record<string, unknown>;
      for (const name of schema.required ?? []) if (!(name in record)) return true;
      for (const [k, v] of Object.entries(record)) {
        const declared = schema.properties?.[k];
        if (declared) {
          if (violates(declared, v)) return true;
        } else if (schema.additionalProperties === false) {
          return true;
        } else if (
          typeof schema.additionalProperties === 'object' &&
          violates(schema.additionalProperties, v)
        ) {
          return true;
        }
      }
      return false;
    }
    default:
      return false;
  }
}
