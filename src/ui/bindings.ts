/**
 * Why a list command cannot run right now, in a sentence for the operator, or
 * null when it can (lazygit's GetDisabledReason). The controller flashes the
 * reason instead of running the command; the help shows it beside the key.
 * Pure: reads the app state only.
 */
import { canNudge, hasLiveProcess } from '../core/worker.js';
import type { AppState } from '../store.js';

export function disabledReason(id: string, s: AppState): string | null {
  const selected = s.ui.selectedId ? s.deck.workers[s.ui.selectedId] : undefined;
  switch (id) {
    case 'attach':
      if (!selected) return 'No worker selected. Press n to spawn one.';
      if (!hasLiveProcess(selected)) return `${selected.name} is not running (${selected.status}). R resumes it where its preset can.`;
      return null;
    case 'nudge':
      if (!selected) return 'No worker selected.';
      // The nudge is words for an agent; a shell would run them as a command.
      if (!canNudge(selected)) return `${selected.name} is a shell: a nudge would run as a command. Reply with r or attach instead.`;
      return null;
    case 'details':
      return selected ? null : 'No worker selected.';
    case 'permission.allow':
    case 'permission.always':
    case 'permission.deny': {
      const asked = selected && hasLiveProcess(selected) ? selected.needsInput?.permission : undefined;
      if (!selected || !asked) return `No permission prompt waits on ${selected?.name ?? 'the selected worker'}.`;
      return id === 'permission.always' && !asked.allowAlways ? `${selected.name}'s agent offers no "allow always" here.` : null;
    }
    case 'queue-up':
    case 'queue-down':
      if (!selected) return 'No worker selected.';
      return selected.status === 'queued' ? null : `${selected.name} is not queued.`;
    case 'stop':
      if (!selected) return 'No worker selected.';
      return hasLiveProcess(selected) || selected.status === 'queued' ? null : `${selected.name} is not running.`;
    case 'resume':
      if (!selected) return 'No worker selected.';
      if (selected.status === 'queued') return `${selected.name} is queued; it starts by itself when a slot frees.`;
      return hasLiveProcess(selected) ? `${selected.name} is already running.` : null;
    case 'validate':
      if (!selected) return 'No worker selected.';
      return selected.validation?.status === 'running' ? `The validation of ${selected.name} is already running.` : null;
    case 'diff':
    case 'push':
    case 'merge':
      if (!selected) return 'No worker selected.';
      return selected.worktree ? null : `${selected.name} has no worktree and branch of its own: nothing to ${id === 'diff' ? 'show' : id === 'push' ? 'push' : 'merge'}.`;
    case 'remove':
      if (!selected) return 'No worker selected.';
      return hasLiveProcess(selected) ? `${selected.name} is still running; stop it first (x).` : null;
    case 'select-next':
    case 'select-prev':
    case 'scroll-up':
    case 'scroll-down':
    case 'mail-up':
      return s.deck.order.length === 0 ? 'No workers yet.' : null;
    default:
      return null;
  }
}
