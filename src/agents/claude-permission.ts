/**
 * Claude Code's PermissionRequest hook, as the pinned CLI (2.1.332) reads and
 * writes it: what its stdin says and what its stdout must say. Pure: no I/O.
 *
 * Input (stdin JSON): `{ hook_event_name: "PermissionRequest", tool_name,
 * tool_input, permission_suggestions?, session_id, cwd, … }`, where
 * `permission_suggestions` are the permission updates Claude's own dialog
 * offers as "Yes, and don't ask again".
 * Output (stdout JSON): `{ hookSpecificOutput: { hookEventName:
 * "PermissionRequest", decision: { behavior: "allow", updatedInput?,
 * updatedPermissions? } | { behavior: "deny", message?, interrupt? } } }`.
 * No output (exit 0): Claude shows its own dialog.
 */
import type { HookAsk, PermissionDecision } from '../core/permission.js';

/** What Claude is told when the operator denies without a reason. */
export const DENIED_WITHOUT_REASON = 'The operator denied this in workerdeck.';

/** The tool_input fields that name what a tool acts on, most telling first. */
const DETAIL_FIELDS = ['command', 'file_path', 'notebook_path', 'path', 'url', 'pattern', 'query', 'description', 'prompt'];

/**
 * The ask of a PermissionRequest hook input: the tool, its command, file or
 * other subject (else its input as JSON), and whether Claude offers "always".
 * @returns null when the input names no tool (not a PermissionRequest)
 */
export function claudePermissionAsk(input: Record<string, unknown>): HookAsk | null {
  const tool = input.tool_name;
  if (typeof tool !== 'string' || tool === '') return null;
  const toolInput = typeof input.tool_input === 'object' && input.tool_input !== null ? (input.tool_input as Record<string, unknown>) : {};
  const field = DETAIL_FIELDS.find((name) => typeof toolInput[name] === 'string' && toolInput[name] !== '');
  const detail = field ? String(toolInput[field]) : Object.keys(toolInput).length > 0 ? JSON.stringify(toolInput) : '';
  const suggestions = input.permission_suggestions;
  return { tool, detail, allowAlways: Array.isArray(suggestions) && suggestions.length > 0 };
}

/**
 * The hook's stdout for the operator's decision (one JSON line). "Allow
 * always" sends back Claude's own suggestions as `updatedPermissions`, as its
 * dialog's "don't ask again" would apply them; a deny's reason is the message
 * the model receives with the refused tool call.
 */
export function claudePermissionOutput(decision: PermissionDecision, input: Record<string, unknown>): string {
  const suggestions = Array.isArray(input.permission_suggestions) ? (input.permission_suggestions as unknown[]) : [];
  const verdict =
    decision.answer === 'deny'
      ? { behavior: 'deny', message: decision.reason ?? DENIED_WITHOUT_REASON }
      : decision.answer === 'allow-always' && suggestions.length > 0
        ? { behavior: 'allow', updatedPermissions: suggestions }
        : { behavior: 'allow' };
  return `${JSON.stringify({ hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: verdict } })}\n`;
}
