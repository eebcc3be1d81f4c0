import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { Keymap } from '../core/commands.js';
import type { DeckClient } from '../client/remote-deck.js';
import type { AppState, AppStore } from '../store.js';
import type { Theme } from './theme.js';

export interface DeckContextValue {
  store: AppStore;
  client: DeckClient;
  theme: Theme;
  keymap: Keymap;
  /** Preset name → `not installed (hint)` or null when installed. */
  presetProblems: Map<string, string | null>;
  detachKeyName: string;
}

export const DeckContext = createContext<DeckContextValue | null>(null);

export function useDeckContext(): DeckContextValue {
  const value = useContext(DeckContext);
  if (!value) throw new Error('DeckContext is missing');
  return value;
}

/** Select a small slice of the app state; the component re-renders only when it changes. */
export function useApp<T>(selector: (state: AppState) => T): T {
  return useStore(useDeckContext().store, selector);
}
