const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const COLORS = [36, 32, 33, 35, 34, 96, 92, 93, 95, 94, 91];
const OMIT = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg']);

/** A sink that writes `name | line` with a colour per process, and pino JSON lines made readable. */
export function createConsoleSink(stream: NodeJS.WritableStream = process.stdout) {
  const colors = new Map<string, number>();
  const width = 18;
  const color = stream === process.stdout && process.stdout.isTTY;
  return (name: string, line: string) => {
    if (!colors.has(name)) colors.set(name, COLORS[colors.size % COLORS.length] ?? 37);
    const label = name.padEnd(width);
    const prefix = color ? `\u001b[${colors.get(name)}m${label}|\u001b[0m` : `${label}|`;
    stream.write(`${prefix} ${readable(line)}\n`);
  };
}

function readable(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const record = JSON.parse(line) as Record<string, unknown>;
    if (typeof record.msg !== 'string') return line;
    const level = LEVELS[record.level as number] ?? String(record.level);
    const rest = Object.fromEntries(Object.entries(record).filter(([key]) => !OMIT.has(key)));
    const fields = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
    return `${level} ${record.msg}${fields}`;
  } catch {
    return line;
  }
}
