import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundledThemesDir, isWellFormedTheme, loadTheme, THEME_TOKENS } from '../../src/ui/theme.js';
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

describe('isWellFormedTheme, the check that spares the first frame zod', () => {
  const good = JSON.parse(readFileSync(path.join(bundledThemesDir(), 'default.json'), 'utf8')) as { name: string; colors: Record<string, string> };
  const withColour = (token: string, value: unknown) => ({ ...good, colors: { ...good.colors, [token]: value } });
  const withoutToken = (token: string) => ({ ...good, colors: Object.fromEntries(Object.entries(good.colors).filter(([t]) => t !== token)) });
  const cases: [string, unknown][] = [
    ...['default', 'light'].map((n): [string, unknown] => [n, JSON.parse(readFileSync(path.join(bundledThemesDir(), `${n}.json`), 'utf8'))]),
    ['description', { ...good, description: 'mine' }],
    ['null description', { ...good, description: null }],
    ['numeric description', { ...good, description: 3 }],
    ['empty name', { ...good, name: '' }],
    ['numeric name', { ...good, name: 1 }],
    ['no name', { colors: good.colors }],
    ['unknown key', { ...good, colour: 'typo' }],
    ['__proto__ key', JSON.parse(`{"__proto__": 1, "name": "x", "colors": ${JSON.stringify(good.colors)}}`)],
    ['colors null', { ...good, colors: null }],
    ['colors array', { ...good, colors: [] }],
    ['extra token', withColour('text.extra', '#000000')],
    ['null', null],
    ['array', []],
    ['string', 'theme'],
    ...THEME_TOKENS.map((t): [string, unknown] => [`no ${t}`, withoutToken(t)]),
    ...THEME_TOKENS.map((t): [string, unknown] => [`bad ${t}`, withColour(t, 'chartreuse-ish')]),
    ...['#abc', '#AbCdEf', 'grey', 'gray', 'cyanBright', 'whiteBright', '#abcd', 'grayBright', 'Cyan', ' cyan', 'cyan\n', '#abcdefg', 7, null].map(
      (c): [string, unknown] => [`colour ${JSON.stringify(c)}`, withColour('header', c)],
    ),
  ];

  it.each(cases)('agrees with the zod schema: %s', async (_name, json) => {
    const { themeSchema } = await import('../../src/ui/theme-schema.js');
    expect(isWellFormedTheme(json)).toBe(themeSchema.safeParse(json).success);
  });

  it('accepts the bundled themes and refuses broken ones, so both outcomes are checked', () => {
    expect(cases.filter(([, json]) => isWellFormedTheme(json)).length).toBeGreaterThan(5);
    expect(cases.filter(([, json]) => !isWellFormedTheme(json)).length).toBeGreaterThan(40);
  });
});
