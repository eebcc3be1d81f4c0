import { describe, expect, it } from 'vitest';
import { buildMail, MAX_MAIL_BYTES, parseMail, sanitize } from '../../src/core/mail.js';

const REFERENCE = {
  id: '6f1c0a2e-8d7b-4a51-9f3e-2b1c4d5e6f70',
  workerId: 'a3f1b2c0',
  workerName: 'refactor-auth',
  type: 'completion',
  content: '...',
  timestamp: '2025-01-15T10:35:00.000Z',
};

function reasonOf(text: string): string {
  const result = parseMail(text);
  if (result.ok) throw new Error(`expected a rejection of ${text}`);
  return result.reason;
}

describe('parseMail', () => {
  it('accepts the reference example as is', () => {
    const result = parseMail(JSON.stringify(REFERENCE, null, 2));
    expect(result).toEqual({
      ok: true,
      message: {
        id: '6f1c0a2e-8d7b-4a51-9f3e-2b1c4d5e6f70',
        workerId: 'a3f1b2c0',
        workerName: 'refactor-auth',
        type: 'completion',
        content: '...',
        timestamp: Date.UTC(2025, 0, 15, 10, 35, 0),
        inReplyTo: null,
      },
    });
  });

  it('accepts epoch-ms timestamps and ISO offsets', () => {
    const epoch = parseMail(JSON.stringify({ ...REFERENCE, timestamp: 1736937300000 }));
    expect(epoch.ok && epoch.message.timestamp).toBe(1736937300000);
    const offset = parseMail(JSON.stringify({ ...REFERENCE, timestamp: '2025-01-15T12:35:00+02:00' }));
    expect(offset.ok && offset.message.timestamp).toBe(1736937300000);
  });

  it('keeps optional fields and tolerates extra ones', () => {
    const { workerName: _n, ...noName } = REFERENCE;
    const result = parseMail(JSON.stringify({ ...noName, type: 'question', inReplyTo: 'abc', extra: { a: 1 } }));
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.message.workerName).toBeNull();
      expect(result.message.inReplyTo).toBe('abc');
      expect(result.message.type).toBe('question');
    }
  });

  it('names the bad field', () => {
    expect(reasonOf(JSON.stringify({ ...REFERENCE, type: 'gossip' }))).toMatch(/^field "type": /);
    const { content: _c, ...noContent } = REFERENCE;
    expect(reasonOf(JSON.stringify(noContent))).toMatch(/^field "content": /);
    const { workerId: _w, ...noWorker } = REFERENCE;
    expect(reasonOf(JSON.stringify(noWorker))).toMatch(/^field "workerId": /);
    expect(reasonOf(JSON.stringify({ ...REFERENCE, id: '' }))).toMatch(/^field "id": /);
    expect(reasonOf(JSON.stringify({ ...REFERENCE, timestamp: 'yesterday' }))).toMatch(/^field "timestamp": /);
    expect(reasonOf(JSON.stringify({ ...REFERENCE, timestamp: -5 }))).toMatch(/^field "timestamp": /);
    expect(reasonOf(JSON.stringify({ ...REFERENCE, content: 'x'.repeat(MAX_MAIL_BYTES + 1) }))).toMatch(/^field "content": /);
  });

  it('says when the text is not JSON or not an object', () => {
    expect(reasonOf('{"id": "x",')).toMatch(/^not valid JSON: /);
    expect(reasonOf('[1, 2]')).toMatch(/^message: /);
  });

  it('sanitises content and workerName', () => {
    const result = parseMail(JSON.stringify({ ...REFERENCE, workerName: 'evil\u001b[2J', content: 'ok\u001b]0;pwned\u0007 done\nline 2' }));
    expect(result.ok && result.message.content).toBe('ok done\nline 2');
    expect(result.ok && result.message.workerName).toBe('evil');
  });

  it('round-trips what buildMail writes', () => {
    const file = buildMail({ id: 'i1', workerId: 'w1', workerName: 'n', type: 'progress', content: 'half way', now: 1736937300000, inReplyTo: 'q' });
    expect(file.timestamp).toBe('2025-01-15T10:35:00.000Z');
    const result = parseMail(JSON.stringify(file));
    expect(result.ok && result.message).toEqual({ id: 'i1', workerId: 'w1', workerName: 'n', type: 'progress', content: 'half way', timestamp: 1736937300000, inReplyTo: 'q' });
  });
});

describe('sanitize', () => {
  it('strips CSI sequences (SGR, cursor moves, erase) in 7-bit and 8-bit form', () => {
    expect(sanitize('\u001b[31mred\u001b[0m plain')).toBe('red plain');
    expect(sanitize('a\u001b[2J\u001b[10;5Hb\u001b[?1049hc')).toBe('abc');
    expect(sanitize('x\u009b31my')).toBe('xy');
  });

  it('strips OSC strings ended by BEL or ST, and DCS strings', () => {
    expect(sanitize('\u001b]0;new title\u0007text')).toBe('text');
    expect(sanitize('\u001b]8;;https://evil.example\u001b\\link\u001b]8;;\u001b\\')).toBe('link');
    expect(sanitize('a\u001bPq#0;2;0;0;0\u001b\\b')).toBe('ab');
  });

  it('strips C0 and C1 controls and bidi overrides, keeps newlines, expands tabs', () => {
    expect(sanitize('bell\u0007 bs\u0008 nul\u0000 del\u007f c1\u0085\u009d')).toBe('bell bs nul del c1');
    expect(sanitize('abc\u202edcba\u202c \u2066iso\u2069 \u200fm')).toBe('abcdcba iso m');
    expect(sanitize('line 1\nline 2\r\nline 3\rline 4')).toBe('line 1\nline 2\nline 3\nline 4');
    expect(sanitize('a\tb')).toBe('a  b');
  });

  it('leaves ordinary text, including non-ASCII, alone', () => {
    expect(sanitize('Ünïcødé — “quotes” 日本語 ✓')).toBe('Ünïcødé — “quotes” 日本語 ✓');
  });
});
