/**
 * The tray icon's state marks, drawn on the raw pixels of the normal icon (Electron's
 * NativeImage bitmaps: 4 bytes a pixel, B G R A). Pure, so the pixels are tested without Electron.
 */
import type { TrayIconState } from './tray-menu.js';

/** Attention dot, #FF9500 (macOS template images are tinted by the system: there the dot's shape is the signal). */
const DOT_BGRA = [0x00, 0x95, 0xff, 0xff] as const;
/** Paused: the whole icon at this opacity, like a disabled control. */
const PAUSED_ALPHA = 0.4;

/** A copy of `bitmap` marked for `state`: 'attention' adds a dot in the lower right corner, 'paused' fades the icon. */
export function markIconBitmap(bitmap: Buffer, width: number, height: number, state: TrayIconState): Buffer {
  if (bitmap.length !== width * height * 4)
    throw new Error(`a ${width}×${height} bitmap has ${width * height * 4} bytes, not ${bitmap.length}`);
  const marked = Buffer.from(bitmap);
  if (state === 'paused') {
    for (let i = 3; i < marked.length; i += 4) marked[i] = Math.round((marked[i] as number) * PAUSED_ALPHA);
  } else if (state === 'attention') {
    const radius = Math.max(2, width * 0.22);
    const cx = width - radius;
    const cy = height - radius;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 > radius ** 2) continue;
        marked.set(DOT_BGRA, (y * width + x) * 4);
      }
    }
  }
  return marked;
}
