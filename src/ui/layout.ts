/** Sizes of the deck's panes for a terminal of `cols`×`rows` cells. Pure. */
export interface DeckLayout {
  cols: number;
  rows: number;
  /** Width of the left column (worker list and preview). */
  leftWidth: number;
  mailWidth: number;
  /** Height of the middle area between header and footer. */
  mainHeight: number;
  /** Worker rows visible in the list. */
  listRows: number;
  listHeight: number;
  previewHeight: number;
  /** The preview's inner size: every detached PTY has this size. */
  previewCols: number;
  previewRows: number;
}

/** The smallest terminal the deck lays out for; smaller ones are clamped and may clip. */
export const MIN_COLS = 80;
export const MIN_ROWS = 24;

export function computeLayout(cols: number, rows: number, workerCount: number): DeckLayout {
  const c = Math.max(cols, 40);
  const r = Math.max(rows, 12);
  const mailWidth = Math.min(56, Math.max(26, Math.floor(c * 0.34)));
  const leftWidth = c - mailWidth;
  const mainHeight = r - 3; // header, status line, key hints
  const maxList = Math.max(3, Math.floor(mainHeight * 0.35));
  const listRows = Math.min(maxList, Math.max(3, workerCount));
  const listHeight = listRows + 3; // borders and the column header
  const previewHeight = Math.max(4, mainHeight - listHeight);
  return {
    cols: c,
    rows: r,
    leftWidth,
    mailWidth,
    mainHeight,
    listRows,
    listHeight,
    previewHeight,
    previewCols: Math.max(10, leftWidth - 2),
    previewRows: Math.max(2, previewHeight - 2),
  };
}

/** Pad or cut plain text to exactly `width` columns (one column per UTF-16 unit outside the BMP is ignored). */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  const chars = [...text];
  if (chars.length > width) return `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
  return text + ' '.repeat(width - chars.length);
}

/** Word-wrap plain text to `width` columns; hard-breaks words longer than a line. */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  const w = Math.max(1, width);
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(/(\s+)/)) {
      if (word === '') continue;
      if ([...line].length + [...word].length <= w) {
        line += word;
        continue;
      }
      if (line.trim() !== '') out.push(line.trimEnd());
      line = /^\s+$/.test(word) ? '' : word;
      while ([...line].length > w) {
        out.push([...line].slice(0, w).join(''));
        line = [...line].slice(w).join('');
      }
    }
    out.push(line.trimEnd());
  }
  return out;
}
