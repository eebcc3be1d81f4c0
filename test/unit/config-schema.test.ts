import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, parseConfigText } from '../../src/agents/config-schema.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('the JSON Schema of the config', () => {
  it('is the one the zod schema generates (run npm run schema after changing the config)', () => {
    const shipped = JSON.parse(readFileSync(path.join(root, 'schema', 'workerdeck.schema.json'), 'utf8')) as unknown;
    expect(shipped).toEqual(configJsonSchema());
  });

  it("names it in the README's example by $schema, and the example is a valid config", () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const example = /## Config[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const config = parseConfigText('README.md', example ?? '{}');
    expect(config.$schema).toBe('./node_modules/workerdeck/schema/workerdeck.schema.json');
    // Every key of the config is in the schema, and no other: editors refuse typos as workerdeck does.
    const schema = configJsonSchema() as { properties: Record<string, unknown>; additionalProperties: boolean };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['maxWorkers', 'idleTimeout', 'timeout', 'onTimeout', 'notify', 'validate', 'presets']));
    expect(schema.additionalProperties).toBe(false);
  });
});
