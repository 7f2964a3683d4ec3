// jest's TypeScript transform. The files the @nestjs/swagger CLI plugin describes (nest-cli.json's
// DTO suffixes, and controllers) go through ts-jest with the plugin and a type checker, so tests see
// the same DTO metadata (and OpenAPI document) as `nest build`. Every other file is transpiled on its
// own (TypeScript's transpileModule): ~8× less CPU per file than ts-jest's language service (the
// unit project from a cold cache: 111 s → 92 s). Type errors are `npm run typecheck`'s (part of
// `npm run lint`), not jest's.
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const ts = require('typescript');
const { TsJestTransformer } = require('ts-jest');

const root = join(__dirname, '..');
const tsconfigPath = join(root, 'tsconfig.json');
const swagger = require('../nest-cli.json').compilerOptions.plugins.find((p) => p.name === '@nestjs/swagger');
const described = new RegExp(
  `(${[...swagger.options.dtoFileNameSuffix, '.controller.ts'].map((s) => s.replace(/\./g, '\\.')).join('|')})$`,
);

const withPlugin = new TsJestTransformer({
  tsconfig: tsconfigPath,
  astTransformers: { before: [join(__dirname, 'jest-swagger-transformer.js')] },
  diagnostics: { warnOnly: false },
});

const { options: compilerOptions } = ts.parseJsonConfigFileContent(
  JSON.parse(readFileSync(tsconfigPath, 'utf8')),
  ts.sys,
  root,
);
const transpileOptions = {
  ...compilerOptions,
  isolatedModules: true,
  sourceMap: true,
  inlineSourceMap: false,
};
const transpileKey = createHash('sha256')
  .update(ts.version)
  .update(readFileSync(__filename))
  .update(readFileSync(tsconfigPath))
  .digest('hex');

module.exports = {
  getCacheKey(sourceText, sourcePath, options) {
    if (described.test(sourcePath)) return withPlugin.getCacheKey(sourceText, sourcePath, options);
    return createHash('sha256')
      .update(transpileKey)
      .update(options.instrument ? 'instrumented' : 'plain') // jest caches coverage-instrumented code under this key too
      .update(sourcePath)
      .update(sourceText)
      .digest('hex');
  },
  process(sourceText, sourcePath, options) {
    if (described.test(sourcePath)) return withPlugin.process(sourceText, sourcePath, options);
    const out = ts.transpileModule(sourceText, {
      compilerOptions: transpileOptions,
      fileName: sourcePath,
      reportDiagnostics: true,
    });
    // Only syntax errors come back here (no type checker): said as tsc says them, not as a later runtime error.
    if (out.diagnostics?.length)
      throw new Error(
        ts.formatDiagnostics(out.diagnostics, {
          ...ts.sys,
          getCanonicalFileName: (f) => f,
          getNewLine: () => '\n',
          getCurrentDirectory: () => root,
        }),
      );
    return {
      code: out.outputText.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'),
      map: out.sourceMapText,
    };
  },
};
