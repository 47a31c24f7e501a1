/** Latchkey's mark: a key on a rounded square (the header's, and large on the sign-in gate). */
export function KeyIcon({ large = false }: { large?: boolean }) {
  const size = large ? 40 : 22;
  return (
    <svg className="key-icon" width={size} height={size} viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <rect x="0" y="0" width="24" height="24" rx="6" className="key-icon-bg" />
      <g transform="rotate(-45 12 12)" className="key-icon-fg">
        <circle cx="7.2" cy="12" r="3.6" fill="none" strokeWidth="2.1" />
        <path d="M10.8 12h8.4M16.6 12v2.8M14.2 12v2" fill="none" strokeWidth="2.1" strokeLinecap="round" />
      </g>
    </svg>
  );
}
