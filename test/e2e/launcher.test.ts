import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/git-repo.js';
import { BIN } from '../helpers/term.js';

describe('bin/workerdeck.js', () => {
  const dirs: { cleanup: () => void }[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()));

  it('refuses an old Node with one line that names the version needed', () => {
    const dir = tempDir('wd-oldnode-');
    dirs.push(dir);
    // Pretend to be Node 20 before the launcher looks.
    const preload = path.join(dir.dir, 'old-node.mjs');
    writeFileSync(preload, "Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '20.11.1' } });\n");
    const run = spawnSync(process.execPath, ['--import', preload, BIN, '--version'], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('workerdeck needs Node.js 22 or newer; this is Node.js 20.11.1.\n');
  });

  it('prints its version and help', () => {
    expect(execFileSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' }).trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = execFileSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    for (const word of ['list', 'mail', 'mcp', 'hook', '--agent', '--state-dir', '--theme', '--skip-permissions']) expect(help).toContain(word);
  });

  it('refuses to open the deck without a terminal, and unknown commands, with exit 2', () => {
    const noTty = spawnSync(process.execPath, [BIN], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    expect(noTty.status).toBe(2);
    expect(noTty.stderr).toContain('workerdeck needs a terminal');
    const unknown = spawnSync(process.execPath, [BIN, 'frobnicate'], { encoding: 'utf8' });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "frobnicate"');
  });
});
