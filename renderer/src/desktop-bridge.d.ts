/**
 * What the Electron preload (`preload/index.cts`) exposes to this page. Absent in the browser
 * dashboard of `latchkey serve`: the renderer must work without it, so it is optional.
 */
export interface LatchkeyDesktopBridge {
  readonly platform: 'desktop';
  /** The desktop app's version. */
  readonly version: string;
}

declare global {
  interface Window {
    readonly latchkeyDesktop?: LatchkeyDesktopBridge;
  }
}
