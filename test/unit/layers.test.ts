/**
 * scripts/check-layers.mjs: the layer rules hold on src/, and each rule
 * catches the imports that break it (on a small tree written to a temp dir).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { checkLayers, importsOf } from '../../scripts/check-layers.mjs';
import { tempDir } from '../helpers/git-repo.js';
import { ROOT } from '../helpers/term.js';

const run = promisify(execFile);
const SCRIPT = path.join(ROOT, 'scripts', 'check-layers.mjs');

const fixture = tempDir('wd-layers-');
afterAll(() => fixture.cleanup());

/** Write `files` (path from the root → source) under a fresh root; returns the root. */
function tree(name: string, files: Record<string, string>): string {
  const root = path.join(fixture.dir, name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}

/** The broken rules of a tree as `file:line rule-id target`, sorted. */
function broken(root: string): string[] {
  return checkLayers(root)
    .violations.map((v) => `${v.file}:${v.line} ${v.rule.id} ${v.target}`)
    .sort();
}

describe('the layer rules on src/', () => {
  it('hold', () => {
    const result = checkLayers(ROOT);
    expect(result.violations.map((v) => `${v.file}:${v.line} ${v.rule.id} ${v.target}`)).toEqual([]);
    expect(result.files).toBeGreaterThan(50);
    expect(result.imports).toBeGreaterThan(200);
  });

  it('pass the script, which says how much it checked', async () => {
    const { stdout } = await run(process.execPath, [SCRIPT]);
    expect(stdout).toMatch(/^check-layers: \d+ files, \d+ imports, 8 rules: no rule broken\.$/m);
  });
});

describe('importsOf', () => {
  it('finds static, re-exported, dynamic, required, type and JSX imports, and skips comments and strings', () => {
    const source = [
      "import a from 'a';",
      'import {',
      '  b,',
      '  type B,',
      "} from './b.js';",
      "import type { C } from './c.js';",
      "import { type D1, type D2 } from './d.js';",
      "export * from './e.js';",
      "export type { F } from './f.js';",
      "// import g from 'commented';",
      "const s = \"import h from 'in-a-string'\";",
      "const i = await import('./i.js');",
      "const j = require('j');",
      "let k: typeof import('./k.js');",
      "import './side-effect.js';",
      'const el = <div />;',
    ].join('\n');
    expect(importsOf('x.tsx', source)).toEqual([
      { specifier: 'a', line: 1, typeOnly: false },
      { specifier: './b.js', line: 2, typeOnly: false },
      { specifier: './c.js', line: 6, typeOnly: true },
      { specifier: './d.js', line: 7, typeOnly: true },
      { specifier: './e.js', line: 8, typeOnly: false },
      { specifier: './f.js', line: 9, typeOnly: true },
      { specifier: './i.js', line: 12, typeOnly: false },
      { specifier: 'j', line: 13, typeOnly: false },
      { specifier: './k.js', line: 14, typeOnly: true },
      { specifier: './side-effect.js', line: 15, typeOnly: false },
      { specifier: 'react/jsx-runtime', line: 1, typeOnly: false },
    ]);
  });
});

describe('each layer rule', () => {
  it('is broken by the imports it forbids, and only by those', () => {
    const root = tree('broken', {
      // core: pure libraries and path are fine; I/O, UI and the deck are not, even as types.
      'src/core/ok.ts': "import { z } from 'zod';\nimport path from 'node:path';\nimport { a } from './other.js';\n",
      'src/core/other.ts': "import { readFile } from 'node:fs/promises';\nimport type { Stats } from 'fs';\nimport { Box } from 'ink';\n",
      'src/core/deck-user.ts': "import type { Deck } from '../deck.js';\n",
      // ui: only `import type` from client/remote-deck; nothing of the deck's I/O.
      'src/ui/ok.tsx': "import type { DeckClient } from '../client/remote-deck.js';\nimport { useApp } from './context.js';\nexport const X = () => <Box />;\n",
      'src/ui/bad.ts': [
        "import { RemoteDeck } from '../client/remote-deck.js';",
        "import type { Connection } from '../client/connection.js';",
        "import { ScreenMirror } from '../pty/mirror.js';",
        "const git = await import('../git/git.js');",
      ].join('\n'),
      'src/store.ts': "import { Deck } from './deck.js';\n",
      // client: not the server, not the deck's parts.
      'src/client/bad.ts': "import { binPath } from '../server/serve.js';\nimport {\n  Mailbox,\n} from '../mail/mailbox.js';\nimport { execaGit } from '../git/git.js';\n",
      // server: no terminal.
      'src/server/bad.ts': "import { runTui } from '../client/tui.js';\nimport { Deck } from '../deck.js';\n",
      // deck and its parts.
      'src/deck.ts': "import { createAppStore } from './store.js';\nimport { MirrorPool } from './pty/mirror-pool.js';\n",
      'src/pty/bad.ts': "export * from '../server/server.js';\n",
      'src/registry/ok.ts': "import { execaGit } from '../git/git.js';\n",
      // the composition root, and files outside src/.
      'src/mail/bad.ts': "import { main } from '../cli.js';\nimport { waitFor } from '../../test/helpers/term.js';\n",
      'src/cli.ts': "import { Deck } from './deck.js';\nimport { serve } from './server/serve.js';\nimport { runTui } from './client/tui.js';\n",
    });
    expect(broken(root)).toEqual(
      [
        'src/core/other.ts:1 core-is-pure node:fs',
        'src/core/other.ts:2 core-is-pure node:fs',
        'src/core/other.ts:3 core-is-pure ink',
        'src/core/deck-user.ts:1 core-is-pure src/deck.ts',
        'src/ui/bad.ts:1 ui-is-a-view src/client/remote-deck',
        'src/ui/bad.ts:2 ui-is-a-view src/client/connection',
        'src/ui/bad.ts:3 ui-is-a-view src/pty/mirror',
        'src/ui/bad.ts:4 ui-is-a-view src/git/git',
        'src/store.ts:1 ui-is-a-view src/deck.ts',
        'src/client/bad.ts:1 client-is-a-client src/server/serve',
        'src/client/bad.ts:2 client-is-a-client src/mail/mailbox',
        'src/server/bad.ts:1 server-has-no-ui src/client/tui',
        'src/deck.ts:1 deck-has-no-ui src/store.ts',
        'src/pty/bad.ts:1 parts-below-deck src/server/server',
        'src/mail/bad.ts:1 cli-is-the-root src/cli.ts',
        'src/mail/bad.ts:2 src-stays-in-src ./test/helpers/term',
      ].sort(),
    );
  });

  it('makes the script list each broken import with its rule and exit 1', async () => {
    const root = tree('cli', {
      'src/core/x.ts': "import { spawn } from 'node:child_process';\n",
      'src/ui/y.ts': "import { Deck } from '../deck.js';\n",
      'src/deck.ts': 'export class Deck {}\n',
    });
    const failure = await run(process.execPath, [SCRIPT, root]).then(
      () => null,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(failure?.code).toBe(1);
    const report = failure?.stderr ?? '';
    expect(report).toContain('2 imports break the layer rules');
    expect(report).toMatch(/^core-is-pure: src\/core imports only/m);
    expect(report).toContain("  src/core/x.ts:1  imports node:child_process  ('node:child_process')");
    expect(report).toMatch(/^ui-is-a-view: /m);
    expect(report).toContain("  src/ui/y.ts:1  imports src/deck.ts  ('../deck.js')");
  });

  it('makes the script exit 2 with a sentence when there is no src/', async () => {
    const failure = await run(process.execPath, [SCRIPT, path.join(fixture.dir, 'nowhere')]).then(
      () => null,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toMatch(/nowhere.src does not exist: pass the directory that holds src\/\./);
  });
});
