// Chaos: mail from many writer processes while the deck is SIGKILLed twice and
// restarted. Every message must end in mail/cur exactly once, none may stay in
// mail/new, and events.jsonl must hold one mail-received line per message.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { processGone } from '../helpers/deck.js';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { deckFixture, serverPid } from '../helpers/e2e.js';
import { processAlive, waitFor } from '../helpers/term.js';
import { FULL, ownProcesses, recordFigures, sized } from './chaos.js';

const WRITER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'mail-writer.mjs');

const WRITERS = sized(3, 10);
const PER_WRITER = sized(40, 500);
/** A pause after each message, in ms: the writers still write while the deck is killed and started again. */
const PACE_MS = sized(150, 15);
const TOTAL = WRITERS * PER_WRITER;
/** Fractions of the messages handled at which the deck is SIGKILLed. */
const KILL_AT = [1 / 3, 2 / 3];

describe('chaos: mail while the deck is killed (built binary)', () => {
  const f = deckFixture();
  const owned = ownProcesses();

  it(
    `${WRITERS} writers x ${PER_WRITER} messages, deck SIGKILLed twice mid-stream: none lost, none doubled, every one audited`,
    async () => {
      const mail = path.join(f.stateDir, 'mail');
      const count = (dir: string) => (existsSync(path.join(mail, dir)) ? readdirSync(path.join(mail, dir)).length : 0);
      let d = owned.deck(f.open());
      await d.waitForText('q quit');

      const exits: Promise<{ key: string; code: number | null; stderr: string }>[] = [];
      for (let w = 0; w < WRITERS; w++) {
        const key = `w${w}`;
        const child = owned.child(
          spawn(process.execPath, [WRITER, f.stateDir, `chaos${w}`, key, String(PER_WRITER), String(PACE_MS)], { stdio: ['ignore', 'ignore', 'pipe'] }),
        );
        let stderr = '';
        child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
        exits.push(new Promise((resolve) => child.on('exit', (code) => resolve({ key, code, stderr }))));
      }

      const kills: { handled: number; waiting: number }[] = [];
      for (const at of KILL_AT) {
        await waitFor(() => count('cur') >= Math.floor(TOTAL * at), `${Math.floor(TOTAL * at)} messages handled`, sized(60_000, 300_000), () => d.screen(), 50);
        kills.push({ handled: count('cur'), waiting: count('new') });
        // The server handles the mail: kill it (its TUI follows, saying the server went away).
        process.kill(serverPid(f.stateDir) ?? 0, 'SIGKILL');
        await d.waitForExit();
        d = owned.deck(f.open());
        await d.waitForText('q quit', sized(30_000, 90_000));
      }
      const finished = await Promise.all(exits);
      const writersDone = Date.now();
      for (const w of finished) expect(w.code, `writer ${w.key}: ${w.stderr}`).toBe(0);
      await waitFor(
        () => count('cur') >= TOTAL && count('new') === 0,
        `all ${TOTAL} messages handled`,
        sized(60_000, 400_000),
        () => `cur ${count('cur')}, new ${count('new')}\n${d.screen()}`,
        100,
      );
      // Stop the server cleanly so every audit line it means to write is written.
      const drainMs = Date.now() - writersDone;
      const server = serverPid(f.stateDir) ?? 0;
      d.type('Q');
      await d.waitForText('(y/n)');
      d.type('y');
      await d.waitForExit();
      await waitFor(() => processGone(server), 'the server to stop', 10_000);

      // Each message carries `chaos <writer> m<index>`: count where each one ended up.
      const expected = new Set<string>();
      for (let w = 0; w < WRITERS; w++) for (let i = 0; i < PER_WRITER; i++) expected.add(`chaos w${w} m${String(i).padStart(4, '0')}`);
      const inCur = new Map<string, number>();
      let unreadable = 0;
      for (const name of readdirSync(path.join(mail, 'cur'))) {
        try {
          const content = (JSON.parse(readFileSync(path.join(mail, 'cur', name), 'utf8')) as { content: string }).content;
          inCur.set(content, (inCur.get(content) ?? 0) + 1);
        } catch {
          unreadable++;
        }
      }
      const audited = new Map<string, number>();
      let tornLines = 0;
      for (const line of readFileSync(path.join(f.stateDir, 'events.jsonl'), 'utf8').split('\n')) {
        if (!line) continue;
        try {
          const event = JSON.parse(line) as { type: string; message?: { content?: string } };
          if (event.type === 'mail-received' && event.message?.content) {
            audited.set(event.message.content, (audited.get(event.message.content) ?? 0) + 1);
          }
        } catch {
          tornLines++;
        }
      }
      const lost = [...expected].filter((k) => !inCur.has(k));
      const duplicated = [...inCur.values()].reduce((n, c) => n + Math.max(0, c - 1), 0);
      const strays = [...inCur.keys()].filter((k) => !expected.has(k)).length;
      const missingAudit = [...expected].filter((k) => !audited.has(k));
      const doubleAudit = [...audited.values()].reduce((n, c) => n + Math.max(0, c - 1), 0);
      recordFigures('mail', {
        writers: WRITERS,
        messages: TOTAL,
        deck_kills: kills.length,
        handled_at_kills: kills.map((k) => k.handled).join(' / '),
        waiting_in_new_at_kills: kills.map((k) => k.waiting).join(' / '),
        lost: lost.length,
        duplicated,
        left_in_new: count('new'),
        in_bad: count('bad'),
        missing_audit_lines: missingAudit.length,
        duplicate_audit_lines: doubleAudit,
        torn_audit_lines: tornLines,
        drain_after_writers_s: Math.round(drainMs / 100) / 10,
      });

      expect(kills.every((k) => k.handled < TOTAL), 'both kills came before the last message was handled').toBe(true);
      expect(lost.slice(0, 5), `${lost.length} messages lost`).toEqual([]);
      expect(duplicated, 'messages in cur/ more than once').toBe(0);
      expect(strays + unreadable, 'files in cur/ that no writer sent, or unreadable').toBe(0);
      expect(count('new'), 'files left in new/').toBe(0);
      expect(count('bad'), 'good mail moved to bad/').toBe(0);
      expect(missingAudit.slice(0, 5), `${missingAudit.length} messages without a mail-received line in events.jsonl`).toEqual([]);
      expect(doubleAudit, 'messages with more than one mail-received line').toBe(0);
      expect(tornLines, 'events.jsonl lines that are not JSON').toBe(0);
    },
    FULL ? 900_000 : 120_000,
  );
});
