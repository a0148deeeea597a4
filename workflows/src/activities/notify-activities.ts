import { type DigestTransport, createDigestEmailActivities } from './notify-email';
import { NotifyServiceClient, createNotifyServiceActivities } from './notify-service';
import { type VapidConfig, createPushActivities } from './push';
import { type TwilioConfig, createSmsActivities } from './sms';
import type { Sidecar } from '@parley/service-kit';

/** What the notification delivery activities need from the worker. */
export interface NotifyActivityDeps {
  sidecar: Sidecar;
  mailer: DigestTransport;
  from: string;
  messageIdDomain: string;
  vapid: VapidConfig | null;
  twilio: TwilioConfig | null;
  /** Tests only: push endpoints on 127.0.0.1 are posted to. */
  allowLoopbackPush?: boolean;
}

/** The per-recipient workflow's activities: the service's decisions and the three channels. */
export function createNotifyActivities(deps: NotifyActivityDeps) {
  const notifyService = new NotifyServiceClient(deps.sidecar);
  return {
    ...createNotifyServiceActivities({ notifyService }),
    ...createPushActivities({
      notifyService,
      vapid: deps.vapid,
      allowLoopbackHttp: deps.allowLoopbackPush ?? false,
    }),
    ...createDigestEmailActivities({
      notifyService,
      mailer: deps.mailer,
      from: deps.from,
      messageIdDomain: deps.messageIdDomain,
    }),
    ...createSmsActivities({ notifyService, twilio: deps.twilio }),
  };
}
