#!/usr/bin/env node
// A worker-side mail writer for the chaos suite: one real process that sends
// `count` progress messages through the deck's own worker-side code (the
// built src/mail/writer.ts: tmp/<name>, then rename into new/), whatever the
// deck is doing meanwhile.
// Usage: node mail-writer.mjs <stateDir> <workerId> <key> <count> [paceMs]
// paceMs: a pause after each message, so the writers are still writing when the deck is killed.
// Message i's content is `chaos <key> m<i>`, so the check can count each one.
// Exits 0 when all were delivered, 1 on the first failure (with the reason on stderr).
import { setImmediate as yieldTurn, setTimeout as sleep } from 'node:timers/promises';

// The built module, typed as its source (a specifier tsc does not follow, so the
// untyped dist/ files stay out of the type check, as in bench/deck-throughput.js).
const distWriter = new URL('../../dist/mail/writer.js', import.meta.url).href;
const { sendMail } = await /** @type {Promise<typeof import('../../src/mail/writer.js')>} */ (import(distWriter));

const [stateDir, workerId, key, countText, paceText = '0'] = process.argv.slice(2);
const pace = Number(paceText);
const count = Number(countText);
if (!stateDir || !workerId || !key || !Number.isInteger(count) || count < 1) {
  process.stderr.write('usage: mail-writer.mjs <stateDir> <workerId> <key> <count>\n');
  process.exit(2);
}
for (let i = 0; i < count; i++) {
  await sendMail({ stateDir, workerId, type: 'progress', content: `chaos ${key} m${String(i).padStart(4, '0')}` });
  // Let the other writers (and the deck) interleave with this one.
  if (pace > 0) await sleep(pace);
  else if (i % 5 === 4) await yieldTurn();
}
