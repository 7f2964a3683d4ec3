import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

/** Every journal entry type the API declares (the `type` of each JournalEntryDto member). */
function declaredTypes(): string[] {
  const spec = JSON.parse(readFileSync(join(ROOT, 'openapi', 'openapi.json'), 'utf8')) as {
    components: {
      schemas: Record<string, { properties?: { type?: { enum?: string[] }; payload?: unknown } }>;
    };
  };
  return Object.values(spec.components.schemas)
    .filter((s) => s.properties?.payload && s.properties.type?.enum)
    .flatMap((s) => s.properties!.type!.enum!);
}

describe('README journal table', () => {
  it('lists every declared journal entry type (a `*` row covers its family)', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('### Journal'), readme.indexOf('## Run tracking'));
    const listed = [...table.matchAll(/^\| `([^|]+)` *\|/gm)].flatMap((m) =>
      m[1].split(/` \/ `/).map((name) => new RegExp(`^${name.replace(/\./g, '\\.').replace('*', '.+')}$`)),
    );
    const types = declaredTypes();
    expect(types.length).toBeGreaterThan(20);
    // A superseded version (gpu.policy_changed.v1) is covered by a later version's row.
    const laterVersions = (type: string) => {
      const version = Number(/\.v(\d+)$/.exec(type)?.[1] ?? 0);
      return Array.from({ length: 10 }, (_, i) => type.replace(/\.v\d+$/, `.v${version + i}`));
    };
    const missing = types.filter(
      (type) => !laterVersions(type).some((later) => listed.some((re) => re.test(later))),
    );
    expect(missing).toEqual([]);
  });
});
