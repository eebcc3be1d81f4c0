import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundledThemesDir, loadTheme, THEME_TOKENS } from '../../src/ui/theme.js';
import { tempDir } from '../helpers/git-repo.js';

describe('themes', () => {
  const dirs: { cleanup: () => void }[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()));

  it('loads both bundled themes with every token', async () => {
    for (const name of ['default', 'light']) {
      const theme = await loadTheme(name, '/');
      for (const token of THEME_TOKENS) expect(theme.c(token), `${name} ${token}`).toMatch(/^#[0-9a-f]{6}$/i);
    }
  });

  it('refuses a broken theme file, naming the file and the field', async () => {
    const dir = tempDir('wd-theme-');
    dirs.push(dir);
    const good = JSON.parse(readFileSync(path.join(bundledThemesDir(), 'default.json'), 'utf8'));
    const file = path.join(dir.dir, 'mine.json');
    writeFileSync(file, JSON.stringify({ ...good, colors: { ...good.colors, 'status.asking': 'chartreuse-ish' } }));
    await expect(loadTheme(file, dir.dir)).rejects.toThrow(`${file}: field "colors.status.asking": a colour is #rrggbb`);
    writeFileSync(file, JSON.stringify({ ...good, colour: 'typo' }));
    await expect(loadTheme(file, dir.dir)).rejects.toThrow(`${file}: top level: unknown key "colour"`);
    writeFileSync(file, '{"name": ');
    await expect(loadTheme(file, dir.dir)).rejects.toThrow(`${file}: not valid JSON`);
  });

  it('names the bundled themes when asked for one that does not exist', async () => {
    await expect(loadTheme('neon', '/')).rejects.toThrow('Unknown theme "neon". Bundled themes: default, light');
  });
});
