import { useCallback, useRef, useState } from 'react';

export type NoticeKind = 'success' | 'error' | 'info';
export type Notify = (kind: NoticeKind, text: string) => void;

interface Notice {
  id: number;
  kind: NoticeKind;
  text: string;
}

export function useNotices(): { notices: Notice[]; notify: Notify; dismiss: (id: number) => void } {
  const [notices, setNotices] = useState<Notice[]>([]);
  const next = useRef(1);
  const dismiss = useCallback((id: number) => setNotices((all) => all.filter((n) => n.id !== id)), []);
  const notify = useCallback<Notify>(
    (kind, text) => {
      const id = next.current++;
      setNotices((all) => [...all.slice(-3), { id, kind, text }]);
      window.setTimeout(() => dismiss(id), kind === 'error' ? 10_000 : 6000);
    },
    [dismiss],
  );
  return { notices, notify, dismiss };
}

export function Notices({ notices, dismiss }: { notices: Notice[]; dismiss: (id: number) => void }) {
  return (
    <div className="notices" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} className={`notice notice-${n.kind}`} role={n.kind === 'error' ? 'alert' : 'status'}>
          <span>{n.text}</span>
          <button type="button" className="notice-close" aria-label="Dismiss" onClick={() => dismiss(n.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
