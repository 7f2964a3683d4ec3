import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { findRepoRoot, withSettingsTable } from '@trainyard/core';

/** `npm run docs:settings`: rewrites README's server-flag table from SETTINGS (libs/core/src/config/settings.ts). */
async function generate(): Promise<void> {
  const path = join(findRepoRoot(), 'README.md');
  const next = withSettingsTable(readFileSync(path, 'utf8'));
  // Formatted as `npm run format` would, so the two never fight over the table's padding.
  const formatted = await format(next, { ...(await resolveConfig(path)), filepath: path });
  writeFileSync(path, formatted);
}

void generate();
