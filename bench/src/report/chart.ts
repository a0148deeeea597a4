import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchResults } from './types';

interface Bar {
  label: string;
  value: number;
  low: number;
  high: number;
  colour: string;
}

interface Panel {
  title: string;
  unit: string;
  bars: Bar[];
}

const COLOURS = { full: '#2f6db5', two: '#7aa6d8', bare: '#e07b39', centrifugo: '#4c9a5b' };
export const CHART_SIZE = { width: 900, height: 510 };

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The panels the run has figures for: rates, efficiency and latency, each a bar per configuration. */
export function chartPanels(r: BenchResults): Panel[] {
  const bar = (label: string, colour: string, s?: { median: number; min: number; max: number }) =>
    s && Number.isFinite(s.median) ? [{ label, value: s.median, low: s.min, high: s.max, colour }] : [];
  const rate = (v?: number) => (v === undefined ? undefined : { median: v, min: v, max: v });
  return [
    {
      title: 'Sustainable message rate (msg/s, rooms of 10)',
      unit: 'msg/s',
      bars: [
        ...bar('Parley full stack', COLOURS.full, rate(r.full?.sustainableRate)),
        ...bar('bare Socket.IO', COLOURS.bare, rate(r.bare?.sustainableRate)),
        ...bar('Centrifugo', COLOURS.centrifugo, rate(r.centrifugo?.sustainableRate)),
      ],
    },
    {
      title: 'Deliveries per server CPU-second, at each sustainable rate',
      unit: '/CPU-s',
      bars: [
        ...bar('Parley full stack', COLOURS.full, r.full?.atSustainable.deliveriesPerCpuSecond),
        ...bar('bare Socket.IO', COLOURS.bare, r.bare?.atSustainable.deliveriesPerCpuSecond),
        ...bar('Centrifugo', COLOURS.centrifugo, r.centrifugo?.atSustainable.deliveriesPerCpuSecond),
      ],
    },
    {
      title: `p99 latency at the reference rate (${r.full?.referenceRate ?? '?'} msg/s), ms`,
      unit: 'ms',
      bars: [
        ...bar('Parley, 1 gateway', COLOURS.full, r.full?.oneGateway.p99Ms),
        ...bar('Parley, 2 gateways', COLOURS.two, r.full?.twoGateways?.p99Ms),
        ...bar('bare Socket.IO', COLOURS.bare, r.bare?.atReferenceRate?.p99Ms),
        ...bar('Centrifugo', COLOURS.centrifugo, r.centrifugo?.atReferenceRate?.p99Ms),
      ],
    },
  ];
}

/** An SVG of horizontal bars (median) with whiskers (lowest to highest run), one panel per figure. */
export function renderSvg(r: BenchResults, subtitle: string): string {
  const { width, height } = CHART_SIZE;
  const panels = chartPanels(r);
  const left = 170;
  const right = 140;
  const barHeight = 22;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="20" y="30" font-size="18" font-weight="bold">Parley message delivery benchmark</text>`,
    `<text x="20" y="50" font-size="12" fill="#555">${escape(subtitle)}</text>`,
  ];
  let y = 80;
  for (const panel of panels) {
    parts.push(`<text x="20" y="${y}" font-size="14" font-weight="bold">${escape(panel.title)}</text>`);
    y += 12;
    const max = Math.max(1e-9, ...panel.bars.map((b) => b.high));
    const scale = (v: number) => ((width - left - right) * v) / max;
    for (const b of panel.bars) {
      const w = Math.max(1, scale(b.value));
      parts.push(
        `<text x="${left - 8}" y="${y + 16}" font-size="12" text-anchor="end">${escape(b.label)}</text>`,
        `<rect x="${left}" y="${y + 2}" width="${w.toFixed(1)}" height="${barHeight}" fill="${b.colour}"/>`,
      );
      if (b.high > b.low) {
        const [x1, x2, mid] = [left + scale(b.low), left + scale(b.high), y + 2 + barHeight / 2];
        parts.push(
          `<line x1="${x1.toFixed(1)}" y1="${mid}" x2="${x2.toFixed(1)}" y2="${mid}" stroke="#222" stroke-width="1.5"/>`,
          `<line x1="${x1.toFixed(1)}" y1="${mid - 5}" x2="${x1.toFixed(1)}" y2="${mid + 5}" stroke="#222"/>`,
          `<line x1="${x2.toFixed(1)}" y1="${mid - 5}" x2="${x2.toFixed(1)}" y2="${mid + 5}" stroke="#222"/>`,
        );
      }
      const label = b.value >= 100 ? b.value.toFixed(0) : b.value.toFixed(1);
      parts.push(
        `<text x="${(left + Math.max(w, scale(b.high)) + 6).toFixed(1)}" y="${y + 18}" font-size="12">${label} ${escape(panel.unit)}</text>`,
      );
      y += barHeight + 8;
    }
    y += 30;
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/**
 * Renders the SVG to PNG with headless Chromium when it is installed; returns false (and the
 * report keeps the SVG alone) when it is not or the rendering fails.
 */
export function renderPng(svgFile: string, pngFile: string): boolean {
  const chromium = ['chromium', 'chromium-browser'].find((c) => !spawnSync(c, ['--version']).error);
  if (!chromium) return false;
  const profile = mkdtempSync(join(tmpdir(), 'parley-bench-chromium-'));
  try {
    const result = spawnSync(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        `--window-size=${CHART_SIZE.width},${CHART_SIZE.height}`,
        `--screenshot=${pngFile}`,
        pathToFileURL(svgFile).href,
      ],
      { timeout: 60_000, stdio: 'ignore' },
    );
    return result.status === 0 && existsSync(pngFile);
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
