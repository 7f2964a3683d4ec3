// Runs the @nestjs/swagger CLI plugin inside ts-jest, so tests see the same DTO metadata
// (and therefore the same OpenAPI document) as `nest build`.
const plugin = require('@nestjs/swagger/plugin');
const options = require('../nest-cli.json').compilerOptions.plugins.find(
  (p) => p.name === '@nestjs/swagger',
).options;

module.exports.name = 'nestjs-swagger-transformer';
// Bump when the options change, so ts-jest's cache is invalidated.
module.exports.version = 2;
module.exports.factory = (compiler) => plugin.before(options, compiler.program);
