import { useState, type ReactNode } from 'react';
import type { ConnectionStatus } from '../api';

/** A coloured status pill; `status` picks the colour (`.badge-<status>`) and is exposed as `data-status`. */
export function Badge({ status, children }: { status: string; children: ReactNode }) {
  return (
    <span className={`badge badge-${status}`} data-status={status}>
      <span className="badge-dot" aria-hidden="true" />
      {children}
    </span>
  );
}

export function StatusBadge({ status }: { status: ConnectionStatus }) {
  return (
    <Badge status={status}>
      {status === 'connected' ? 'Connected' : status === 'expired' ? 'Expired' : 'Needs re-auth'}
    </Badge>
  );
}

export function Chip({ children, title }: { children: ReactNode; title?: string }) {
  return (
    <span className="chip" title={title}>
      {children}
    </span>
  );
}

export function ErrorMessage({
  code,
  description,
  children,
}: {
  code: string;
  description: string;
  children?: ReactNode;
}) {
  return (
    <div className="message message-error" role="alert">
      <div>
        {description} <code className="error-code">{code}</code>
      </div>
      {children}
    </div>
  );
}

/** Copies text; falls back to a selection copy where the async clipboard is denied (the desktop denies all permissions). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // denied (the desktop grants no permissions): the selection copy below is the fallback
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'offscreen';
    document.body.append(area);
    area.select();
    try {
      return document.execCommand('copy');
    } catch {
      // no way to copy left: the caller tells the person to copy by hand
      return false;
    } finally {
      area.remove();
    }
  }
}

/** Saves a file the page holds (e.g. a fetched export) through the browser's download. */
export function saveFile(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.className = 'offscreen';
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started reading the blob by the time this runs; revoking earlier can cancel it.
  window.setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  return (
    <button
      type="button"
      className="button button-small"
      onClick={async () => {
        const ok = await copyText(text);
        setState(ok ? 'copied' : 'failed');
        window.setTimeout(() => setState('idle'), 1800);
      }}
    >
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Select & copy' : label}
    </button>
  );
}

export function Spinner({ label }: { label?: string }) {
  return <span className="spinner" role="status" aria-label={label ?? 'Working'} />;
}

/** A neutral letter mark for a provider (no remote images under the CSP). */
export function ProviderMark({ id, name, small = false }: { id: string; name: string; small?: boolean }) {
  let hash = 0;
  for (const ch of id) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return (
    <span className={`mark mark-${hash % 6}${small ? ' mark-small' : ''}`} aria-hidden="true">
      {(name.trim()[0] ?? '?').toUpperCase()}
    </span>
  );
}

export function ExternalLink({ href, children }: { href: string; children: ReactNode }) {
  return (
    <a href={href} target="_blank" rel="noopener noreferrer">
      {children}
    </a>
  );
}
