import type { ArgumentMetadata } from '@nestjs/common';
import { getMetadataStorage, IsInt, IsString, MetadataStorage } from 'class-validator';
import { DomainError } from '../domain-error';
import { atMostOneOf, createValidationPipe } from './validation';

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
