import type { Redis } from 'ioredis';

export type PresenceStatus = 'online' | 'away' | 'offline';

export interface PresenceView {
  userId: string;
  status: PresenceStatus;
  /** When the user's last device went away or offline; null while any device is online. */
  lastSeen: string | null;
  devices: number;
}

const devicesKey = (userId: string) => `parley:presence:devices:${userId}`;
const lastSeenKey = (userId: string) => `parley:presence:last-seen:${userId}`;

/** Keep a last-seen time this long after the user was last around. */
const LAST_SEEN_TTL_SECONDS = 90 * 24 * 60 * 60;

/**
 * Presence across every gateway replica, in Redis: each connected socket is one device with its
 * own status. A user is online while any device is online, away while all are away, offline
 * when none is connected.
 *
 * TODO(presence): a replica that dies without closing its sockets leaves their devices here, so
 * those users stay online until they connect and disconnect again; entries need a heartbeat.
 */
export class PresenceStore {
  constructor(private readonly redis: Redis) {}

  async connect(userId: string, socketId: string): Promise<PresenceView> {
    await this.redis.hset(devicesKey(userId), socketId, 'online');
    return this.get(userId);
  }

  async set(userId: string, socketId: string, status: 'online' | 'away'): Promise<PresenceView> {
    await this.redis.hset(devicesKey(userId), socketId, status);
    const view = await this.get(userId);
    if (view.status !== 'online') await this.touch(userId);
    return this.get(userId);
  }

  async disconnect(userId: string, socketId: string): Promise<PresenceView> {
    await this.redis.hdel(devicesKey(userId), socketId);
    await this.touch(userId);
    return this.get(userId);
  }

  async get(userId: string): Promise<PresenceView> {
    const [devices, lastSeen] = await Promise.all([
      this.redis.hvals(devicesKey(userId)),
      this.redis.get(lastSeenKey(userId)),
    ]);
    const status: PresenceStatus =
      devices.length === 0 ? 'offline' : devices.includes('online') ? 'online' : 'away';
    return { userId, status, lastSeen: status === 'online' ? null : lastSeen, devices: devices.length };
  }

  private async touch(userId: string): Promise<void> {
    await this.redis.set(lastSeenKey(userId), new Date().toISOString(), 'EX', LAST_SEEN_TTL_SECONDS);
  }
}
