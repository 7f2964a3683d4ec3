import { ApiProperty } from '@nestjs/swagger';
import { ERROR_CODES, ErrorCode } from '../domain-error';

export class ErrorDetailDto {
  /** The request field at fault, as a dotted path (`job_params.argv`). */
  field?: string;
  message!: string;
}

/** The body of every error answer. */
export class ErrorResponseDto {
  /** HTTP status, repeated for clients that only see the body. */
  statusCode!: number;
  /** Stable machine-readable code. */
  @ApiProperty({ enum: ERROR_CODES, enumName: 'ErrorCode' })
  code!: ErrorCode;
  /** Human-readable explanation, safe to show a user. */
  message!: string;
  /** For validation failures, one entry per bad field. */
  details?: ErrorDetailDto[];
}
