import { Box } from 'ink';
import { useApp } from './context.js';
import { DiffView } from './DiffView.js';
import { Footer } from './Footer.js';
import { Header } from './Header.js';
import { Help, Warnings } from './Help.js';
import { computeLayout } from './layout.js';
import { MailPanel } from './MailPanel.js';
import { Preview } from './Preview.js';
import { WorkerList } from './WorkerList.js';
import { TooSmall, tooSmall } from './TooSmall.js';

/** The deck's screen: header, worker list over preview, mail panel, footer. Layout only. */
export function App({ label }: { label: string }) {
  const cols = useApp((s) => s.ui.cols);
  const rows = useApp((s) => s.ui.rows);
  const count = useApp((s) => s.deck.order.length);
  const mode = useApp((s) => s.ui.mode);
  const layout = computeLayout(cols, rows, count);
  if (tooSmall(cols, rows)) return <TooSmall cols={cols} rows={rows} />;
  return (
    <Box width={layout.cols} height={layout.rows} flexDirection="column" overflow="hidden">
      <Header width={layout.cols} label={label} />
      {mode === 'help' ? (
        <Help width={layout.cols} height={layout.mainHeight} />
      ) : mode === 'warnings' ? (
        <Warnings width={layout.cols} height={layout.mainHeight} />
      ) : mode === 'diff' ? (
        <DiffView />
      ) : (
        <Box height={layout.mainHeight} width={layout.cols} flexDirection="row">
          <Box flexDirection="column" width={layout.leftWidth} height={layout.mainHeight}>
            <WorkerList width={layout.leftWidth} height={layout.listHeight} rows={layout.listRows} />
            <Preview width={layout.leftWidth} height={layout.previewHeight} />
          </Box>
          <MailPanel width={layout.mailWidth} height={layout.mainHeight} />
        </Box>
      )}
      <Footer width={layout.cols} />
    </Box>
  );
}
