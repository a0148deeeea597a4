import type { RoomSpec } from '../loadgen/protocol';
import type { BenchSettings } from '../settings';

export interface Context {
  settings: BenchSettings;
  log: (text: string) => void;
  /** Folder for this run's raw files (configs, profiles, logs); git-ignored. */
  rawDir: string;
}

/** Clients 0..n-1 in rooms of `size`: room r holds clients size*r .. size*r+size-1. */
export function roomsOf(clients: number, size: number, id: (room: number) => string): RoomSpec[] {
  return Array.from({ length: Math.floor(clients / size) }, (_, r) => ({
    id: id(r),
    members: Array.from({ length: size }, (_, m) => r * size + m),
  }));
}

/** Loopback source addresses to spread many clients over (127.0.0.2 and on). */
export function sourceAddress(client: number, spreadOver = 40): string {
  return `127.0.0.${2 + (client % spreadOver)}`;
}
