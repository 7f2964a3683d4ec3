import {
  applyDecorators,
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Post,
  Put,
  Query,
  Res,
  StreamableFile,
} from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiHeader, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrors } from '@trainyard/core';
import { FileOps } from './file-ops';
import {
  AssetQueryDto,
  BrowseQueryDto,
  CopyRequestDto,
  DeleteRequestDto,
  DirListingDto,
  FsPathResultDto,
  MoveRequestDto,
  NewEntryRequestDto,
  QuickPathDto,
  RenameRequestDto,
  SourceQueryDto,
  SourceWrittenDto,
  WriteSourceRequestDto,
} from './fs.dto';
import { SourceFiles, SOURCE_MAX_BYTES, type SourceText } from './source-files';

/** Room for a 10 MiB text in a JSON string (escapes can take up to 6 bytes per byte, e.g. \u0001). */
const SOURCE_BODY_LIMIT = 6 * SOURCE_MAX_BYTES + 64 * 1024;

/** A sandbox for served images: an SVG opened on its own can run no script and load nothing. */
const ASSET_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox";

async function sendSource(reply: FastifyReply, source: SourceText): Promise<void> {
  await reply
    .header('Content-Type', 'text/plain; charset=utf-8')
    .header('X-Mtime', source.mtime)
    .send(source.content);
}

/**
 * The Files API. Every path is absolute and checked before use (see FsGuard): no `.`/`..` and no
 * symbolic link in any component (400), inside `--fs-root` after resolving real paths (403); changes
 * need a path at least 4 components deep (403). Errors name the request field.
 */
/** What both source-read routes (`/api/fs/source` and the original's alias) answer with. */
function SourceRead(): MethodDecorator {
  return applyDecorators(
    ApiProduces('text/plain'),
    ApiOkResponse({ description: 'The file content', schema: { type: 'string' } }),
    ApiHeader({ name: 'X-Mtime', description: 'mtime, nanoseconds since the epoch', required: false }),
    ApiErrors(400, 401, 403, 404, 413, 415),
    Header('Cache-Control', 'no-store'),
  );
}

/** Both source-write routes: a body limit above the 10 MiB content cap, so the cap answers the 413. */
function SourceWrite(): MethodDecorator {
  return applyDecorators(
    RouteConfig({ bodyLimit: SOURCE_BODY_LIMIT }),
    ApiErrors(400, 401, 403, 404, 409, 413),
  );
}

@ApiTags('fs')
@Controller('fs')
export class FsController {
  constructor(
    private readonly files: FileOps,
    private readonly sources: SourceFiles,
  ) {}

  /** Lists a directory (only subdirectories unless `files_too`; dotfiles only with `show_hidden`). */
  @Get('browse')
  @ApiErrors(400, 401, 403, 404)
  async browseFs(@Query() query: BrowseQueryDto): Promise<DirListingDto> {
    return this.files.browse(query.path, query.show_hidden === true, query.files_too === true);
  }

  /** Named starting points for pickers: home, the Trainyard state directory, each `--fs-root`. */
  @Get('quick-paths')
  @ApiErrors(401)
  async listQuickPaths(): Promise<QuickPathDto[]> {
    return this.files.quickPaths();
  }

  /** Creates one directory `parent/name` (the parent must exist); 409 when the name is taken. */
  @Post('mkdir')
  @HttpCode(200)
  @ApiErrors(400, 401, 403, 404, 409)
  async makeDirectory(@Body() body: NewEntryRequestDto): Promise<FsPathResultDto> {
    return { path: await this.files.mkdir(body.parent, body.name) };
  }

  /** Creates an empty file `parent/name`; never overwrites (409). */
  @Post('new-file')
  @HttpCode(200)
  @ApiErrors(400, 401, 403, 404, 409)
  async createFile(@Body() body: NewEntryRequestDto): Promise<FsPathResultDto> {
    return { path: await this.files.newFile(body.parent, body.name) };
  }

  /** Renames a file or directory in place to a bare name; never overwrites (409). */
  @Post('rename')
  @HttpCode(200)
  @ApiErrors(400, 401, 403, 404, 409)
  async renamePath(@Body() body: RenameRequestDto): Promise<FsPathResultDto> {
    return { path: await this.files.rename(body.path, body.new_name) };
  }

  /**
   * Copies a file or directory tree into `dest_dir` (timestamps kept, links inside copied as links);
   * 409 on a taken name unless `auto_rename` (`stem (copy).ext`, `stem (copy 2).ext`, ...).
   */
  @Post('copy')
  @HttpCode(200)
  @ApiErrors(400, 401, 403, 404, 409)
  async copyPath(@Body() body: CopyRequestDto): Promise<FsPathResultDto> {
    return {
      path: await this.files.copy(body.src, body.dest_dir, body.auto_rename === true, body.target_name),
    };
  }

  /** Moves a file or directory into `dest_dir` (copy + delete across file systems); never overwrites (409). */
  @Post('move')
  @HttpCode(200)
  @ApiErrors(400, 401, 403, 404, 409)
  async movePath(@Body() body: MoveRequestDto): Promise<FsPathResultDto> {
    return { path: await this.files.move(body.src, body.dest_dir) };
  }

  /** Deletes one regular file; needs `{"confirmed": true}`. */
  @Post('delete-file')
  @HttpCode(200)
  @ApiErrors(400, 401, 403, 404)
  async deleteFile(@Body() body: DeleteRequestDto): Promise<FsPathResultDto> {
    return { path: await this.files.deleteFile(body.path, body.confirmed === true) };
  }

  /**
   * Deletes a directory and everything in it; needs `{"confirmed": true}`. System roots (`/`, `/home`,
   * `/usr`, `/etc`, ...), the server user's home and each `--fs-root` are refused (403).
   */
  @Post('delete-dir')
  @HttpCode(200)
  @ApiErrors(400, 401, 403, 404)
  async deleteDirectory(@Body() body: DeleteRequestDto): Promise<FsPathResultDto> {
    return { path: await this.files.deleteDir(body.path, body.confirmed === true) };
  }

  /**
   * A text file's content (UTF-8). `X-Mtime` carries its mtime (nanoseconds since the epoch, decimal)
   * for the next save's `expected_mtime`. 413 over 10 MiB; 415 when it looks binary (NUL in the first
   * 8 KiB) or is not UTF-8.
   */
  @Get('source')
  @SourceRead()
  async readSource(@Query() query: SourceQueryDto, @Res() reply: FastifyReply): Promise<void> {
    await sendSource(reply, await this.sources.read(query.path));
  }

  /**
   * Replaces an existing file's content atomically, keeping its mode. With `expected_mtime`, a file
   * changed on disk since is left alone: 409 FILE_CHANGED, `details: {message, current_mtime,
   * expected_mtime}`. 413 over 10 MiB.
   */
  @Put('source')
  @SourceWrite()
  async writeSource(@Body() body: WriteSourceRequestDto): Promise<SourceWrittenDto> {
    return this.sources.write(body.path, body.content, body.expected_mtime);
  }

  /**
   * An image for a rendered README: `asset` is relative to `base` and must stay inside it (no `..`,
   * no symbolic link); png, jpeg, gif, webp, avif, svg, bmp or ico (415 otherwise); at most 50 MiB (413).
   */
  @Get('asset')
  @ApiProduces('image/*')
  @ApiOkResponse({ description: 'The image', schema: { type: 'string', format: 'binary' } })
  @ApiErrors(400, 401, 403, 404, 413, 415)
  @Header('Cache-Control', 'private, no-cache')
  @Header('Content-Security-Policy', ASSET_CSP)
  async getAsset(@Query() query: AssetQueryDto): Promise<StreamableFile> {
    const asset = await this.files.openAsset(query.base, query.asset);
    return new StreamableFile(asset.stream, { type: asset.type, length: asset.size, disposition: 'inline' });
  }
}

/** The original server's path for the editor's source, kept so its clients keep working. */
@ApiTags('fs')
@Controller('template')
export class TemplateSourceController {
  constructor(private readonly sources: SourceFiles) {}

  /** Same as `GET /api/fs/source` (the original server's path). */
  @Get('source')
  @SourceRead()
  async readTemplateSource(@Query() query: SourceQueryDto, @Res() reply: FastifyReply): Promise<void> {
    await sendSource(reply, await this.sources.read(query.path));
  }

  /** Same as `PUT /api/fs/source` (the original server's path). */
  @Put('source')
  @SourceWrite()
  async writeTemplateSource(@Body() body: WriteSourceRequestDto): Promise<SourceWrittenDto> {
    return this.sources.write(body.path, body.content, body.expected_mtime);
  }
}
