import stringWidth from 'string-width';

/** Widths of short strings seen so far; bounded so odd input cannot grow it forever. */
const widths = new Map<string, number>();
const WIDTH_CACHE_MAX = 4096;

/**
 * Terminal columns a short string takes (a grapheme cluster or a cell's
 * text), as string-width counts them, cached. Pure but for the cache.
 */
export function cachedWidth(text: string): number {
  let w = widths.get(text);
  if (w === undefined) {
    w = stringWidth(text);
    if (widths.size >= WIDTH_CACHE_MAX) widths.clear();
    widths.set(text, w);
  }
  return w;
}
