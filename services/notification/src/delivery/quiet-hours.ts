import type { Preferences } from '../preferences/schemas';

const DAY_MINUTES = 24 * 60;

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** The wall-clock time at `at` in `timeZone` (an IANA name; UTC when unknown), in minutes and seconds. */
function localClock(at: Date, timeZone: string): { minutes: number; seconds: number } {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    }).formatToParts(at);
  } catch {
    return localClock(at, 'UTC');
  }
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { minutes: get('hour') * 60 + get('minute'), seconds: get('second') };
}

/**
 * When the quiet hours around `at` end (epoch ms), or null when `at` is outside them. A start
 * after the end spans midnight. On a day the clocks change the end may be off by the shift.
 */
export function quietHoursEnd(
  quiet: Preferences['quietHours'],
  timeZone: string | null,
  at: Date,
): number | null {
  if (!quiet) return null;
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  const { minutes, seconds } = localClock(at, timeZone ?? 'UTC');
  const inside = start < end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
  if (!inside) return null;
  const untilEnd = (end - minutes + DAY_MINUTES) % DAY_MINUTES;
  return at.getTime() + untilEnd * 60_000 - seconds * 1000 - at.getMilliseconds();
}
