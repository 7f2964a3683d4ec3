import type { ArgumentMetadata } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  getMetadataStorage,
  IsArray,
  IsInt,
  IsOptional,
  IsString,
  MaxLength,
  MetadataStorage,
  ValidateNested,
} from 'class-validator';
import { DomainError } from '../domain-error';
import { atMostOneOf, createValidationPipe, unknownFields } from './validation';

class Named {
  @IsString()
  name!: string;
}

class Sized extends Named {
  @IsInt()
  size!: number;
}

describe('the validation pipe’s rule cache', () => {
  const pipe = createValidationPipe();
  const body = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'body', metatype });

  it('finds the same rules as class-validator, inherited ones included', () => {
    const storage = getMetadataStorage();
    for (const target of [Named, Sized]) {
      const cached = storage.getTargetValidationMetadatas(target, '', false, false);
      const upstream = MetadataStorage.prototype.getTargetValidationMetadatas.call(
        storage,
        target,
        '',
        false,
        false,
      );
      expect(cached).toEqual(upstream);
      expect(cached.length).toBeGreaterThan(0);
    }
  });

  it('applies inherited and own rules on every request, not only the first', async () => {
    for (let i = 0; i < 3; i++) {
      await expect(pipe.transform({ name: 5, size: 1 }, body(Sized))).rejects.toThrow(
        /name must be a string/,
      );
      await expect(pipe.transform({ name: 'abc', size: 'x' }, body(Sized))).rejects.toThrow(
        /size must be an integer/,
      );
      await expect(pipe.transform({ name: 'abc', size: 1 }, body(Sized))).resolves.toEqual({
        name: 'abc',
        size: 1,
      });
    }
  });

  it('applies a rule registered after the class was first validated', async () => {
    class Late {
      @IsInt()
      n!: number;

      m?: string;
    }
    await expect(pipe.transform({ n: 1, m: 'x' }, body(Late))).rejects.toThrow(/unknown field m/);
    IsString()(Late.prototype, 'm'); // what a decorator does when its class is defined
    await expect(pipe.transform({ n: 1, m: 'x' }, body(Late))).resolves.toEqual({ n: 1, m: 'x' });
    await expect(pipe.transform({ n: 1, m: 2 }, body(Late))).rejects.toThrow(/m must be a string/);
  });
});

describe('atMostOneOf', () => {
  const refusal = (query: Record<string, unknown>, names: string[]) => {
    try {
      atMostOneOf(query, names);
      return null;
    } catch (err) {
      return {
        code: (err as DomainError).code,
        message: (err as Error).message,
        details: (err as DomainError).details,
      };
    }
  };

  it('takes none or one of them; refuses two or more, naming the second one given', () => {
    expect(refusal({}, ['line', 'offset', 'last'])).toBeNull();
    expect(refusal({ last: 0, line: undefined }, ['line', 'offset', 'last'])).toBeNull();
    const message = 'give one of line, offset and last, not offset and last';
    expect(refusal({ line: undefined, offset: 0, last: 3 }, ['line', 'offset', 'last'])).toEqual({
      code: 'VALIDATION_FAILED',
      message,
      details: [{ field: 'last', message }],
    });
    expect(refusal({ offset: 5, last: 1 }, ['offset', 'last'])?.details).toEqual([
      { field: 'last', message: 'give offset or last, not both' },
    ]);
  });
});

class Member {
  @IsString()
  node_id!: string;

  @IsInt()
  gpus!: number;
}

class Bundle {
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => Member)
  members?: Member[];

  @IsOptional()
  @ValidateNested()
  @Type(() => Member)
  leader?: Member;
}

class BaseQuery {
  @IsString()
  @MaxLength(2048)
  base!: string;

  @IsOptional()
  @IsString()
  model?: string;
}

describe('the validation pipe’s field names', () => {
  const pipe = createValidationPipe();
  const details = async (value: unknown, metadata: ArgumentMetadata) => {
    try {
      await pipe.transform(value, metadata);
      return null;
    } catch (err) {
      return (err as DomainError).details;
    }
  };

  // `GET /api/inference/models` without `base` answered "base must be a string".
  it('a required query parameter or body field left out is "is required", naming it', async () => {
    expect(await details({ model: 'm' }, { type: 'query', metatype: BaseQuery })).toEqual([
      { field: 'base', message: 'base is required' },
    ]);
    expect(await details({}, { type: 'body', metatype: Sized })).toEqual(
      expect.arrayContaining([
        { field: 'name', message: 'name is required' },
        { field: 'size', message: 'size is required' },
      ]),
    );
    // Given, its type is what is wrong.
    expect(await details({ base: 5 }, { type: 'query', metatype: BaseQuery })).toEqual([
      { field: 'base', message: 'base must be a string' },
    ]);
  });

  it('an unknown key inside a nested object or a list entry is refused by its full path', async () => {
    const body = { type: 'body', metatype: Bundle } as const;
    expect(await details({ members: [{ node_id: 'a', gpus: 1, gpu: 2 }] }, body)).toEqual([
      { field: 'members[0].gpu', message: 'unknown field members[0].gpu' },
    ]);
    expect(await details({ leader: { node_id: 'a', gpus: 1, extra: true } }, body)).toEqual([
      { field: 'leader.extra', message: 'unknown field leader.extra' },
    ]);
    expect(await details({ members: [{ node_id: 'a', gpus: 1 }, { node_id: 'b' }] }, body)).toEqual([
      { field: 'members[1].gpus', message: 'members[1].gpus is required' },
    ]);
  });
});

describe('unknownFields', () => {
  it('names each key an object does not take by its path, with the near name or what it takes', () => {
    const entry = { queue_id: 'q', conditon: 'after_any', extra: 1 };
    expect(unknownFields(entry, ['queue_id', 'condition'], 'depends_on[0]')).toEqual([
      {
        field: 'depends_on[0].conditon',
        message: 'unknown field depends_on[0].conditon (did you mean condition?)',
      },
      {
        field: 'depends_on[0].extra',
        message: 'unknown field depends_on[0].extra (it takes queue_id, condition)',
      },
    ]);
    expect(unknownFields({ metrics: [], foo: 1 }, ['metrics', 'status'], '')).toEqual([
      { field: 'foo', message: 'unknown field foo (it takes metrics, status)' },
    ]);
    expect(unknownFields({ queue_id: 'q' }, ['queue_id', 'condition'], 'x')).toEqual([]);
  });
});

class Window {
  @IsOptional()
  @IsInt()
  max?: number;
}

class Changes {
  @IsOptional()
  @IsString()
  current?: string;

  @ApiProperty({ type: Number, nullable: true, required: false })
  @IsOptional()
  @IsInt()
  limit?: number | null;

  @IsOptional()
  @ValidateNested()
  @Type(() => Window)
  window?: Window;

  @IsOptional()
  values?: Record<string, unknown>;
}

class MoreChanges extends Changes {}

describe('the validation pipe and null', () => {
  const pipe = createValidationPipe();
  const body = { type: 'body', metatype: MoreChanges } as const;

  it('leaves out an optional field sent as null, at every level, unless its type takes null', async () => {
    const out = (await pipe.transform(
      { current: null, limit: null, window: { max: null }, values: { kept: null } },
      body,
    )) as Record<string, unknown>;
    // Before: `current: null` reached the handler, which read it as a string (a 500).
    expect('current' in out).toBe(false);
    expect(out['limit']).toBeNull(); // nullable (inherited): null means something of its own
    expect(out['window']).toEqual(new Window());
    expect(out['values']).toEqual({ kept: null }); // a plain object is a value, not a DTO
  });
});
