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
/** Exists while a replica lives: renewed every HEARTBEAT_MS, gone REPLICA_TTL_SECONDS after it stops. */
const replicaAliveKey = (replicaId: string) => `parley:presence:replica:${replicaId}`;
/** The devices a replica holds, as `<userId> <socketId>`, so that another can clear them. */
const replicaDevicesKey = (replicaId: string) => `parley:presence:replica-devices:${replicaId}`;
const replicasKey = 'parley:presence:replicas';
const sweepLockKey = (replicaId: string) => `parley:presence:sweep:${replicaId}`;

/**
 * Adds a device (KEYS[1] the user's devices, KEYS[2] the replica's) unless the user holds ARGV[2]
 * already; answers the count after, or 0 when full. One script, so that handshakes at once on
 * several replicas cannot all pass a count taken before the others were added.
 */
const CONNECT_WITHIN = `
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], 'online')
redis.call('SADD', KEYS[2], ARGV[3])
return redis.call('HLEN', KEYS[1])
`;

/** Keep a last-seen time this long after the user was last around. */
const LAST_SEEN_TTL_SECONDS = 90 * 24 * 60 * 60;
export const HEARTBEAT_MS = 10_000;
const REPLICA_TTL_SECONDS = 30;

/**
 * Presence across every gateway replica, in Redis: each connected socket is one device with its
 * own status. A user is online while any device is online, away while all are away, offline
 * when none is connected.
 *
 * Each replica renews a heartbeat key and lists the devices it holds. A replica that dies without
 * closing its sockets stops renewing; the next sweep by a live replica (see `sweep`) removes its
 * devices and answers whose presence changed, so nobody stays online for more than about a minute
 * after their replica crashed.
 */
export class PresenceStore {
  constructor(
    private readonly redis: Redis,
    private readonly replicaId: string,
  ) {}

  /** Says this replica is alive; call at start and every HEARTBEAT_MS. */
  async heartbeat(): Promise<void> {
    await this.redis
      .multi()
      .set(replicaAliveKey(this.replicaId), '1', 'EX', REPLICA_TTL_SECONDS)
      .sadd(replicasKey, this.replicaId)
      .exec();
  }

  /** A replica stopping cleanly: its sockets were closed, so there is nothing to sweep. */
  async leave(): Promise<void> {
    await this.redis
      .multi()
      .srem(replicasKey, this.replicaId)
      .del(replicaAliveKey(this.replicaId), replicaDevicesKey(this.replicaId))
      .exec();
  }

  async connect(userId: string, socketId: string): Promise<PresenceView> {
    await this.redis
      .multi()
      .hset(devicesKey(userId), socketId, 'online')
      .sadd(replicaDevicesKey(this.replicaId), `${userId} ${socketId}`)
      .exec();
    return this.get(userId);
  }

  /**
   * Adds a device as `connect` does, unless the user already has `most` (on any replica): answers
   * how many devices the user has then, or 0 when refused.
   */
  async connectWithin(userId: string, socketId: string, most: number): Promise<number> {
    const devices = await this.redis.eval(
      CONNECT_WITHIN,
      2,
      devicesKey(userId),
      replicaDevicesKey(this.replicaId),
      socketId,
      most,
      `${userId} ${socketId}`,
    );
    return Number(devices);
  }

  async set(userId: string, socketId: string, status: 'online' | 'away'): Promise<PresenceView> {
    await this.redis.hset(devicesKey(userId), socketId, status);
    const view = await this.get(userId);
    if (view.status !== 'online') await this.touch(userId);
    return this.get(userId);
  }

  async disconnect(userId: string, socketId: string): Promise<PresenceView> {
    await this.redis
      .multi()
      .hdel(devicesKey(userId), socketId)
      .srem(replicaDevicesKey(this.replicaId), `${userId} ${socketId}`)
      .exec();
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

  /**
   * Clears the devices of replicas whose heartbeat ended; one live replica does each (a lock).
   * Answers the presence of every user who lost a device this way, to be announced.
   */
  async sweep(): Promise<PresenceView[]> {
    const changed = new Set<string>();
    for (const replicaId of await this.redis.smembers(replicasKey)) {
      if (replicaId === this.replicaId) continue;
      if ((await this.redis.exists(replicaAliveKey(replicaId))) === 1) continue;
      const locked = await this.redis.set(sweepLockKey(replicaId), this.replicaId, 'EX', 60, 'NX');
      if (locked !== 'OK') continue;
      for (const entry of await this.redis.smembers(replicaDevicesKey(replicaId))) {
        const [userId, socketId] = entry.split(' ');
        if (!userId || !socketId) continue;
        await this.redis.hdel(devicesKey(userId), socketId);
        await this.touch(userId);
        changed.add(userId);
      }
      await this.redis.multi().del(replicaDevicesKey(replicaId)).srem(replicasKey, replicaId).exec();
    }
    return Promise.all([...changed].map((userId) => this.get(userId)));
  }

  private async touch(userId: string): Promise<void> {
    await this.redis.set(lastSeenKey(userId), new Date().toISOString(), 'EX', LAST_SEEN_TTL_SECONDS);
  }
}
