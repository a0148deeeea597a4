import type { Logger } from '@parley/service-kit';
import type { Directory } from '../src/auth-client';
import { Conversations } from '../src/conversations/service';
import type { ChatEvents } from '../src/events';
import type { MediaCatalog } from '../src/media/media-client';
import { Messages } from '../src/messages/service';
import { Receipts } from '../src/receipts/service';
import type { ChatStore } from '../src/store';
import { noPictures, unrememberedMemberships } from './ferretdb';

/** Auth as these tests need it: every user exists and nobody blocks anybody. */
export function openDirectory(): Directory {
  return { requireUser: async () => {}, blockedAmong: async () => new Set<string>() };
}

/** Media as these tests need it: messages carry no attachments. */
const noMedia: MediaCatalog = { claim: async () => [] };

/**
 * Chat's conversations, messages and receipts over one store, wired as the app wires them, except
 * that memberships are read from the store every time (nothing remembered between calls). The
 * directory is the test's to change (a fresh one each call).
 */
export function chatServices(store: ChatStore, events: ChatEvents) {
  const directory = openDirectory();
  const memberships = unrememberedMemberships(store);
  const chat = new Conversations({
    store,
    pictures: noPictures,
    memberships,
    directory,
    events,
    logger: {} as Logger,
  });
  const messages = new Messages({ store, memberships, directory, events, media: noMedia });
  const receipts = new Receipts({ store, events, messages });
  return { directory, memberships, chat, messages, receipts };
}
