import 'reflect-metadata';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { schemaDrift } from '@trainyard/database';
import { buildDataSource } from './persistence';
import { findRepoRoot } from '@trainyard/core';

/**
 * Writes migrations/<timestamp>-<name>.ts with the SQL that brings a database built by the current
 * migrations up to the current entities, and registers it in migrations/index.ts.
 */
async function generateMigration(): Promise<void> {
  const name = process.argv[2];
  if (!name || !/^[A-Z][A-Za-z0-9]+$/.test(name)) {
    process.stderr.write('usage: npm run migration:generate -- <PascalCaseName>\n');
    process.exit(2);
  }
  const home = mkdtempSync(join(tmpdir(), 'trainyard-migration-'));
  const dataSource = buildDataSource(join(home, 'db.sqlite'));
  try {
    await dataSource.initialize();
    await dataSource.runMigrations();
    const log = await dataSource.driver.createSchemaBuilder().log();
    if ((await schemaDrift(dataSource)).length === 0) {
      process.stdout.write('entities and migrations agree: nothing to generate\n');
      return;
    }
    const stamp = Date.now();
    const className = `${name}${stamp}`;
    const q = (sql: string) => `    await queryRunner.query(${JSON.stringify(sql)});`;
    const body = `import { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  async up(queryRunner: QueryRunner): Promise<void> {
${log.upQueries.map((x) => q(x.query)).join('\n')}
  }

  async down(queryRunner: QueryRunner): Promise<void> {
${log.downQueries
  .map((x) => q(x.query))
  .reverse()
  .join('\n')}
  }
}
`;
    const root = findRepoRoot();
    const file = `${stamp}-${name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`;
    writeFileSync(join(root, 'migrations', `${file}.ts`), body);
    const indexFile = join(root, 'migrations', 'index.ts');
    const index = readFileSync(indexFile, 'utf8')
      .replace(/\n+(export const MIGRATIONS = \[)/, `\nimport { ${className} } from './${file}';\n\n$1`)
      .replace(/export const MIGRATIONS = \[([^\]]*)\]/, (_m, list: string) => {
        const items = list
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        return `export const MIGRATIONS = [${[...items, className].join(', ')}]`;
      });
    writeFileSync(indexFile, index);
    process.stdout.write(`wrote migrations/${file}.ts\n`);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    rmSync(home, { recursive: true, force: true });
  }
}

void generateMigration();
