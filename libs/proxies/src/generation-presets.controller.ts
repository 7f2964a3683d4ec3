import { Body, Controller, Delete, Get, Param, Put } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '@trainyard/core';
import { GenerationPresets } from './generation-presets';
import { DeletedPresetDto, GenerationPresetInfoDto, PresetNameParamDto } from './proxies.dto';

const presetSchema = { type: 'object', additionalProperties: true } as const;

/** Named generation-parameter presets for the Inference view. */
@ApiTags('inference')
@Controller('generation-configs')
export class GenerationPresetsController {
  constructor(private readonly presets: GenerationPresets) {}

  /** Every preset, bundled and user, by name. */
  @Get()
  @ApiErrors(401)
  listGenerationConfigs(): GenerationPresetInfoDto[] {
    return this.presets.list();
  }

  /** One preset's parameters (the user copy wins over a bundled one). */
  @Get(':name')
  @ApiOkResponse({ schema: presetSchema })
  @ApiErrors(400, 401, 404)
  getGenerationConfig(@Param() params: PresetNameParamDto): Record<string, unknown> {
    return this.presets.get(params.name);
  }

  /** Saves a user preset (a JSON object), shadowing a bundled one of the same name. */
  @Put(':name')
  @ApiBody({ schema: presetSchema })
  @ApiOkResponse({ schema: presetSchema })
  @ApiErrors(400, 401, 403)
  putGenerationConfig(@Param() params: PresetNameParamDto, @Body() body: unknown): Record<string, unknown> {
    return this.presets.put(params.name, body);
  }

  /** Deletes a user preset; a bundled one is read-only (403). */
  @Delete(':name')
  @ApiErrors(400, 401, 403, 404)
  deleteGenerationConfig(@Param() params: PresetNameParamDto): DeletedPresetDto {
    return { name: params.name, restored_builtin: this.presets.delete(params.name) };
  }
}
