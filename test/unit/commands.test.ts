import { describe, expect, it } from 'vitest';
import { buildKeymap, commandFor, COMMANDS, displayKey, footerHints } from '../../src/core/commands.js';

describe('buildKeymap', () => {
  it('binds every default key of the registry', () => {
    const keymap = buildKeymap();
    expect(keymap.byKey.get('n')).toBe('spawn');
    expect(keymap.byKey.get('enter')).toBe('attach');
    expect(keymap.byKey.get('a')).toBe('attach');
    expect(keymap.byKey.get('space')).toBe('next-attention');
    expect(keymap.byKey.get('q')).toBe('quit');
    expect(keymap.byKey.get('ctrl+c')).toBe('quit');
    expect(keymap.keysOf.get('attach')).toEqual(['enter', 'a']);
    for (const command of COMMANDS) {
      expect(keymap.keysOf.get(command.id)).toEqual(command.keys);
      for (const key of command.keys) expect(commandFor(keymap, command.context, key)).toBe(command.id);
    }
    // The same key means different things in different layers.
    expect(commandFor(keymap, 'form', 'enter')).toBe('form.submit');
    expect(commandFor(keymap, 'reply', 'enter')).toBe('reply.send');
    expect(commandFor(keymap, 'confirm', 'y')).toBe('confirm.yes');
    expect(commandFor(keymap, 'overlay', 'escape')).toBe('overlay.close');
    // Global keys work in every layer that does not bind them itself.
    expect(commandFor(keymap, 'overlay', '?')).toBe('help');
  });

  it('overrides apply to every layer, and conflicts are checked within a layer', () => {
    const keymap = buildKeymap({ 'form.submit': 'ctrl+s', 'reply.send': ['ctrl+s'] });
    expect(commandFor(keymap, 'form', 'ctrl+s')).toBe('form.submit');
    expect(commandFor(keymap, 'reply', 'ctrl+s')).toBe('reply.send');
    expect(commandFor(keymap, 'form', 'enter')).toBeUndefined();
    expect(() => buildKeymap({ 'form.cancel': 'tab' })).toThrow(/keys\.form\.cancel: key "tab" is already bound to "form\.next-field"/);
    expect(() => buildKeymap({ help: 'n' })).toThrow(/key "n" is already bound/);
  });

  it('an override replaces all default keys of that command', () => {
    const keymap = buildKeymap({ attach: 'o', spawn: ['M', 'ctrl+n'] });
    expect(keymap.keysOf.get('attach')).toEqual(['o']);
    expect(keymap.byKey.get('o')).toBe('attach');
    expect(keymap.byKey.has('enter')).toBe(false);
    expect(keymap.byKey.has('a')).toBe(false);
    expect(keymap.byKey.get('M')).toBe('spawn');
    expect(keymap.byKey.get('ctrl+n')).toBe('spawn');
    expect(keymap.byKey.has('n')).toBe(false);
  });

  it('allows two commands to swap keys', () => {
    const keymap = buildKeymap({ spawn: 'q', quit: 'n' });
    expect(keymap.byKey.get('q')).toBe('spawn');
    expect(keymap.byKey.get('n')).toBe('quit');
  });

  it('throws for an unknown command id, naming the field', () => {
    expect(() => buildKeymap({ frobnicate: 'z' })).toThrow(/^keys\.frobnicate: unknown command "frobnicate"\. Known commands: spawn, /);
  });

  it('throws for a key another command keeps, naming the overridden field and the other command', () => {
    expect(() => buildKeymap({ spawn: 'q' })).toThrow('keys.spawn: key "q" is already bound to "quit".');
    expect(() => buildKeymap({ quit: 'n' })).toThrow('keys.quit: key "n" is already bound to "spawn".');
    expect(() => buildKeymap({ help: ['z', 'j'] })).toThrow('keys.help: key "j" is already bound to "select-next".');
  });

  it('throws when two overrides clash with each other', () => {
    expect(() => buildKeymap({ spawn: 'z', help: 'z' })).toThrow(/^keys\.(spawn|help): key "z" is already bound to "(help|spawn)"\.$/);
  });
});

describe('footerHints', () => {
  it('lists hinted commands in registry order with their first key', () => {
    expect(footerHints(buildKeymap())).toEqual([
      { key: 'n', label: 'new' },
      { key: '⏎', label: 'attach' },
      { key: 'r', label: 'reply' },
      { key: 'space', label: 'next' },
      { key: 'u', label: 'nudge' },
      { key: 'x', label: 'stop' },
      { key: 'i', label: 'info' },
      { key: '?', label: 'help' },
      { key: 'q', label: 'quit' },
    ]);
  });

  it('follows overrides', () => {
    const hints = footerHints(buildKeymap({ attach: 'ctrl+o', quit: ['Z'] }));
    expect(hints.find((h) => h.label === 'attach')?.key).toBe('^O');
    expect(hints.find((h) => h.label === 'quit')?.key).toBe('Z');
  });

  it('displayKey reads named keys', () => {
    expect(displayKey('shift+tab')).toBe('S-Tab');
    expect(displayKey('pageup')).toBe('PgUp');
    expect(displayKey('ctrl+]')).toBe('^]');
    expect(displayKey('D')).toBe('D');
  });
});
