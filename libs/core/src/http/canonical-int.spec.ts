import type { ArgumentMetadata } from '@nestjs/common';
import { IsIn, IsOptional, IsString, Max, Min } from 'class-validator';
import { CanonicalInt } from './canonical-int';
import { PageQueryDto } from './page-query.dto';
import { createValidationPipe } from './validation';

class Offsets {
  @IsOptional()
  @CanonicalInt({ signed: true })
  @Min(-50)
  @Max(50)
  shift?: number;

  @IsOptional()
  @CanonicalInt()
  count?: number;
}

class Search {
  @IsOptional()
  @IsString()
  q?: string;

  @IsOptional()
  @IsIn(['name', 'age'])
  sort?: string;
}

describe('CanonicalInt in a query', () => {
  const pipe = createValidationPipe();
  const query = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'query', metatype });
  const refusal = async (value: Record<string, unknown>, metatype: ArgumentMetadata['metatype']) => {
    try {
      await pipe.transform(value, query(metatype));
    } catch (err) {
      return (err as { details?: Array<{ field: string; message: string }> }).details;
    }
    throw new Error('accepted');
  };

  it.each<[string, Record<string, unknown>, ArgumentMetadata['metatype'], string]>([
    [
      'too many digits: the bound, not "plain digits"',
      { limit: '99999999999999999999' },
      PageQueryDto,
      'limit must not be greater than 1000',
    ],
    ['past the bound', { limit: '1001' }, PageQueryDto, 'limit must not be greater than 1000'],
    [
      'repeated (?limit=1&limit=2)',
      { limit: ['1', '2'] },
      PageQueryDto,
      'limit is given 2 times; give it once',
    ],
    [
      'no @Max: the largest safe integer',
      { count: '12345678901234567890' },
      Offsets,
      'count must not be greater than 9007199254740991',
    ],
    ['signed, far below', { shift: '-99999999999999999999' }, Offsets, 'shift must not be less than -50'],
    [
      'a sign where none is taken',
      { count: '-1' },
      Offsets,
      'count must be a whole number in plain decimal digits (no sign, spaces, fraction, exponent or leading zeros)',
    ],
    [
      'a leading zero',
      { limit: '07' },
      PageQueryDto,
      'limit must be a whole number in plain decimal digits (no sign, spaces, fraction, exponent or leading zeros)',
    ],
    [
      'hex',
      { limit: '0x10' },
      PageQueryDto,
      'limit must be a whole number in plain decimal digits (no sign, spaces, fraction, exponent or leading zeros)',
    ],
  ])('%s', async (_name, value, metatype, message) => {
    const field = Object.keys(value)[0];
    expect(await refusal(value, metatype)).toEqual([{ field, message }]);
  });

  it('says a repeated query parameter is repeated, whatever its type', async () => {
    expect(await refusal({ q: ['a', 'b', 'c'] }, Search)).toEqual([
      { field: 'q', message: 'q is given 3 times; give it once' },
    ]);
    // Not "sort must be one of name, age" when both values are among them.
    expect(await refusal({ sort: ['name', 'age'] }, Search)).toEqual([
      { field: 'sort', message: 'sort is given 2 times; give it once' },
    ]);
  });

  it('takes plain digits within the bound', async () => {
    await expect(pipe.transform({ limit: '1000' }, query(PageQueryDto))).resolves.toMatchObject({
      limit: 1000,
    });
    await expect(pipe.transform({ shift: '-50' }, query(Offsets))).resolves.toMatchObject({ shift: -50 });
  });
});
