/**
 * Sizes of the diff view (d) for a terminal of `cols`×`rows` cells. Pure: the
 * view draws with it and the controller pages with it.
 */
import { computeLayout } from './layout.js';

export interface DiffLayout {
  width: number;
  height: number;
  /** Width of the file list pane, borders included. */
  filesWidth: number;
  /** Width of the hunks pane, borders included. */
  hunksWidth: number;
  /** Rows of hunk lines that show at once. */
  bodyRows: number;
}

/** The diff view takes the whole middle of the screen: a file list on the left, the hunks on the right. */
export function diffLayout(cols: number, rows: number): DiffLayout {
  const base = computeLayout(cols, rows, 0);
  const filesWidth = Math.min(48, Math.max(24, Math.floor(base.cols * 0.3)));
  return { width: base.cols, height: base.mainHeight, filesWidth, hunksWidth: base.cols - filesWidth, bodyRows: Math.max(1, base.mainHeight - 2) };
}
