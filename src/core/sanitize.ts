/** Text from a worker made safe to draw. Pure, and free of zod (the TUI's first frame waits on what it imports). */

// CSI, OSC, DCS/SOS/PM/APC strings, and two-byte escapes; then C0/C1 controls except \n and \t.
const ANSI_RE =
  // eslint-disable-next-line no-control-regex
  /\u001b\[[0-?]*[ -/]*[@-~]|\u009b[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[P^_X][^\u001b]*(?:\u001b\\)?|\u001b[ -/]*[0-~]?/g;
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Strip ANSI escape sequences and control characters from text that came from
 * a worker, so it cannot move the cursor, change colours or retitle the
 * terminal when rendered. Keeps `\n` and turns `\t` into two spaces; `\r\n` becomes `\n`.
 */
export function sanitize(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(ANSI_RE, '')
    .replace(/\t/g, '  ')
    .replace(CONTROL_RE, '');
}
