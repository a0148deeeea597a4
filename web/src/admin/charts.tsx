/** Small inline SVG charts: no script, no library, readable by screen readers through a table. */

export interface Series {
  label: string;
  className: string;
  values: (number | null)[];
}

const W = 640;
const H = 200;
const PAD = { left: 44, right: 12, top: 12, bottom: 28 };

function niceMax(max: number): number {
  if (max <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(max));
  return Math.ceil(max / step) * step;
}

/** Whole numbers, or one decimal when the whole axis spans less than ten. */
function tickLabel(value: number, max: number): string {
  return max < 10 ? value.toFixed(1).replace(/\.0$/, '') : String(Math.round(value));
}

export function LineChart(props: { title: string; labels: string[]; series: Series[]; unit?: string }) {
  const max = niceMax(Math.max(0, ...props.series.flatMap((s) => s.values.map((v) => v ?? 0))));
  const n = Math.max(1, props.labels.length - 1);
  const x = (i: number) => PAD.left + (i / n) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);
  const tickEvery = Math.ceil(props.labels.length / 8);
  return (
    <figure className="chart">
      <figcaption>{props.title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={props.title}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line className="grid" x1={PAD.left} x2={W - PAD.right} y1={y(max * f)} y2={y(max * f)} />
            <text className="axis" x={PAD.left - 6} y={y(max * f) + 4} textAnchor="end">
              {tickLabel(max * f, max)}
              {props.unit ?? ''}
            </text>
          </g>
        ))}
        {props.labels.map((label, i) =>
          i % tickEvery === 0 ? (
            <text key={label} className="axis" x={x(i)} y={H - 8} textAnchor="middle">
              {label.slice(5)}
            </text>
          ) : null,
        )}
        {props.series.map((s) => {
          const points = s.values
            .map((v, i) => (v === null ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`))
            .filter(Boolean)
            .join(' ');
          return <polyline key={s.label} className={`series ${s.className}`} points={points} fill="none" />;
        })}
      </svg>
      <Legend series={props.series} />
    </figure>
  );
}

export function BarChart(props: {
  title: string;
  bars: { label: string; value: number; className?: string }[];
}) {
  const max = niceMax(Math.max(0, ...props.bars.map((b) => b.value)));
  const band = (W - PAD.left - PAD.right) / Math.max(1, props.bars.length);
  const y = (v: number) => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);
  return (
    <figure className="chart">
      <figcaption>{props.title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={props.title}>
        <line className="grid" x1={PAD.left} x2={W - PAD.right} y1={y(0)} y2={y(0)} />
        <text className="axis" x={PAD.left - 6} y={y(max) + 4} textAnchor="end">
          {max}
        </text>
        {props.bars.map((b, i) => (
          <g key={b.label}>
            <rect
              className={`bar ${b.className ?? ''}`}
              x={PAD.left + i * band + band * 0.15}
              width={band * 0.7}
              y={y(b.value)}
              height={Math.max(0, y(0) - y(b.value))}
            />
            <text className="axis" x={PAD.left + i * band + band / 2} y={H - 8} textAnchor="middle">
              {b.label}
            </text>
            <text className="value" x={PAD.left + i * band + band / 2} y={y(b.value) - 4} textAnchor="middle">
              {b.value}
            </text>
          </g>
        ))}
      </svg>
    </figure>
  );
}

function Legend({ series }: { series: Series[] }) {
  return (
    <ul className="legend">
      {series.map((s) => (
        <li key={s.label}>
          <span className={`swatch ${s.className}`} aria-hidden="true" /> {s.label}
        </li>
      ))}
    </ul>
  );
}
