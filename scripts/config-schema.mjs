// Writes schema/workerdeck.schema.json from the zod schema of the config (run after npm run build).
// test/unit/config-schema.test.ts fails when the file and the schema differ.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
// A computed path: the typecheck of scripts/ must not follow it into dist/.
const { configJsonSchema } = await import(pathToFileURL(path.join(root, 'dist', 'agents', 'config-schema.js')).href);
const file = path.join(root, 'schema', 'workerdeck.schema.json');
mkdirSync(path.dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${path.relative(root, file)}`);
