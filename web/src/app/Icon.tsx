/** Line icons drawn inline (no icon font, no emoji font needed). */
const PATHS: Record<string, string> = {
  search:
    'M10.5 3a7.5 7.5 0 1 0 4.6 13.4l4.7 4.7 1.4-1.4-4.7-4.7A7.5 7.5 0 0 0 10.5 3zm0 2a5.5 5.5 0 1 1 0 11 5.5 5.5 0 0 1 0-11z',
  plus: 'M11 4h2v7h7v2h-7v7h-2v-7H4v-2h7z',
  settings:
    'M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8zm0 2a2 2 0 1 1 0 4 2 2 0 0 1 0-4zm-1.5-8h3l.5 2.6 1.7.9 2.4-1.2 2.1 2.1-1.2 2.4.9 1.7L22 10.5v3l-2.6.5-.9 1.7 1.2 2.4-2.1 2.1-2.4-1.2-1.7.9-.5 2.6h-3l-.5-2.6-1.7-.9-2.4 1.2-2.1-2.1 1.2-2.4-.9-1.7L2 13.5v-3l2.6-.5.9-1.7-1.2-2.4 2.1-2.1 2.4 1.2 1.7-.9z',
  chart: 'M4 20V4h2v14h14v2zm4-4v-6h2v6zm4 0V7h2v9zm4 0v-4h2v4z',
};

export function Icon({ name }: { name: keyof typeof PATHS }) {
  return (
    <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d={PATHS[name]} fill="currentColor" fillRule="evenodd" />
    </svg>
  );
}
