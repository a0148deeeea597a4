import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'prettier';
import { renderPng, renderSvg } from './chart';
import { type GoalResult, evaluateGoals } from './goals';
import { type ReportMeta, deliveryTable, goalsTable, machineLine, renderMarkdown } from './markdown';
import type { BenchResults } from './types';

export const README_START = '<!-- bench:start (written by npm run bench) -->';
export const README_END = '<!-- bench:end -->';

export interface WrittenReport {
  json: string;
  markdown: string;
  svg: string;
  png?: string;
  goals: GoalResult[];
}

/** Writes the report (JSON, markdown, SVG chart and, with Chromium, a PNG of it) into `dir`. */
export async function writeReport(
  dir: string,
  meta: Omit<ReportMeta, 'chart'>,
  results: BenchResults,
  options: { png?: boolean } = {},
): Promise<WrittenReport> {
  const goals = evaluateGoals(results);
  const svg = join(dir, 'latest-chart.svg');
  const png = join(dir, 'latest-chart.png');
  const subtitle =
    `${meta.generatedAt.slice(0, 16).replace('T', ' ')} UTC, ${meta.mode} mode, ` +
    `${meta.machine.cores} cores (${meta.machine.cpu}); bars: median, whiskers: lowest to highest run`;
  writeFileSync(svg, renderSvg(results, subtitle));
  const hasPng = options.png !== false && renderPng(svg, png);
  const chart = { svg: 'latest-chart.svg', ...(hasPng ? { png: 'latest-chart.png' } : {}) };
  const full: ReportMeta = { ...meta, chart };
  const markdownFile = join(dir, 'latest.md');
  writeFileSync(markdownFile, await formatMarkdown(renderMarkdown(full, results, goals)));
  const jsonFile = join(dir, 'latest.json');
  writeFileSync(jsonFile, `${JSON.stringify({ ...full, goals, results }, null, 2)}\n`);
  return { json: jsonFile, markdown: markdownFile, svg, ...(hasPng ? { png } : {}), goals };
}

async function formatMarkdown(text: string): Promise<string> {
  return format(text, { parser: 'markdown', printWidth: 110, proseWrap: 'preserve' });
}

/** Keeps a copy of the report files in the run's raw folder. */
export function archive(report: WrittenReport, rawDir: string): void {
  for (const file of [report.json, report.markdown, report.svg, report.png]) {
    if (file && existsSync(file)) copyFileSync(file, join(rawDir, file.split('/').at(-1)!));
  }
}

/**
 * Replaces the benchmark section of the README (between its markers) with the latest goals,
 * table and machine, so the README always shows the last full run.
 */
export async function updateReadme(
  readme: string,
  meta: Omit<ReportMeta, 'chart'>,
  results: BenchResults,
  goals: GoalResult[],
): Promise<boolean> {
  const text = readFileSync(readme, 'utf8');
  const start = text.indexOf(README_START);
  const end = text.indexOf(README_END);
  if (start < 0 || end < start) return false;
  const body = [
    `Latest run: ${meta.generatedAt.slice(0, 10)}, ${meta.mode} mode, on ${machineLine(meta.machine)}. ` +
      `${meta.workload.clients.toLocaleString('en')} clients in rooms of ${meta.workload.roomSize}, ` +
      `${meta.workload.payloadBytes}-byte messages; median of ${meta.workload.runs} runs (lowest–highest). ` +
      'Full report: [bench/results/latest.md](bench/results/latest.md).',
    '',
    goalsTable(goals),
    '',
    deliveryTable(results),
  ].join('\n');
  const formatted = (await formatMarkdown(body)).trimEnd();
  const next = `${text.slice(0, start + README_START.length)}\n\n${formatted}\n\n${text.slice(end)}`;
  writeFileSync(readme, next);
  return true;
}
