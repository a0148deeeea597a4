import { NOTIFICATION_CHANNELS, type NotificationChannel } from '@parley/contracts';
import { daysBetween, quantile } from './day';
import type { FigureStore } from './figure-store';

export interface LatencyFigures {
  count: number;
  medianMs: number | null;
  p95Ms: number | null;
}

export interface ChannelFigures {
  delivered: number;
  failed: number;
  /** Delivered (or failed) out of all outcomes; null when there were none. */
  deliveryRate: number | null;
  failureRate: number | null;
}

export interface DayFigures {
  day: string;
  activeUsers: number;
  messages: number;
  messagesPerConversation: { conversationId: string; messages: number }[];
  newConversations: number;
  mediaUploaded: number;
  mediaBytes: number;
  notifications: Record<NotificationChannel, ChannelFigures>;
  latency: { delivered: LatencyFigures; read: LatencyFigures };
}

export interface Report {
  from: string;
  to: string;
  days: DayFigures[];
  totals: Omit<DayFigures, 'day' | 'messagesPerConversation'>;
}

function latency(samples: number[]): LatencyFigures {
  const sorted = [...samples].sort((a, b) => a - b);
  return { count: sorted.length, medianMs: quantile(sorted, 0.5), p95Ms: quantile(sorted, 0.95) };
}

function channel(delivered = 0, failed = 0): ChannelFigures {
  const all = delivered + failed;
  return {
    delivered,
    failed,
    deliveryRate: all ? delivered / all : null,
    failureRate: all ? failed / all : null,
  };
}

/** The figures of every day in a range, and over the whole range. */
export async function buildReport(store: FigureStore, from: string, to: string): Promise<Report> {
  const dayList = daysBetween(from, to);
  const inRange = { $gte: from, $lte: to };
  const [dayDocs, conversationDocs, activeDocs, latencyDocs] = await Promise.all([
    store.days.find({ _id: inRange }).toArray(),
    store.conversationDays.find({ day: inRange }).toArray(),
    store.activeUsers.find({ day: inRange }, { projection: { day: 1, userId: 1 } }).toArray(),
    store.latencies.find({ day: inRange }, { projection: { day: 1, kind: 1, ms: 1 } }).toArray(),
  ]);
  const byDay = new Map(dayDocs.map((d) => [d._id, d]));
  const days = dayList.map((day): DayFigures => {
    const doc = byDay.get(day);
    const conversations = conversationDocs.filter((c) => c.day === day);
    const samples = (kind: string) =>
      latencyDocs.filter((l) => l.day === day && l.kind === kind).map((l) => l.ms);
    return {
      day,
      activeUsers: activeDocs.filter((a) => a.day === day).length,
      messages: conversations.reduce((n, c) => n + c.messages, 0),
      messagesPerConversation: conversations
        .map((c) => ({ conversationId: c.conversationId, messages: c.messages }))
        .sort((a, b) => b.messages - a.messages),
      newConversations: doc?.newConversations ?? 0,
      mediaUploaded: doc?.mediaUploaded ?? 0,
      mediaBytes: doc?.mediaBytes ?? 0,
      notifications: Object.fromEntries(
        NOTIFICATION_CHANNELS.map((c) => [
          c,
          channel(doc?.notifications?.[c]?.delivered, doc?.notifications?.[c]?.failed),
        ]),
      ) as Record<NotificationChannel, ChannelFigures>,
      latency: { delivered: latency(samples('delivered')), read: latency(samples('read')) },
    };
  });
  const sum = (pick: (d: DayFigures) => number) => days.reduce((n, d) => n + pick(d), 0);
  return {
    from,
    to,
    days,
    totals: {
      activeUsers: new Set(activeDocs.map((a) => a.userId)).size,
      messages: sum((d) => d.messages),
      newConversations: sum((d) => d.newConversations),
      mediaUploaded: sum((d) => d.mediaUploaded),
      mediaBytes: sum((d) => d.mediaBytes),
      notifications: Object.fromEntries(
        NOTIFICATION_CHANNELS.map((c) => [
          c,
          channel(
            sum((d) => d.notifications[c].delivered),
            sum((d) => d.notifications[c].failed),
          ),
        ]),
      ) as Record<NotificationChannel, ChannelFigures>,
      latency: {
        delivered: latency(latencyDocs.filter((l) => l.kind === 'delivered').map((l) => l.ms)),
        read: latency(latencyDocs.filter((l) => l.kind === 'read').map((l) => l.ms)),
      },
    },
  };
}
