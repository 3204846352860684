// The admin API's calls for the developer portal (GET/PUT /admin/portal,
// /admin/consumers, and the `consumers` field of scopes and events), as
// the consumer API's contract says. Typed here by hand until
// runtime/openapi/admin.yaml describes them; then they move to the typed
// client (api/client.ts) like every other call.
import { callJson } from '../../../web-shared/call';
import { session } from '../auth';

/** `GET/PUT /admin/portal`: the portal's settings. */
export interface PortalSettings {
  registration: 'open' | 'approval' | 'closed';
  /** The name of the `smtp` connection that sends the portal's mail. */
  mailer: string | null;
  title: string;
  description: string;
  logo_url: string | null;
  pages: { slug: string; title: string; markdown: string }[];
  max_apps_per_consumer: number;
  /** The address the links in mails start with (`https://api.example.com`). */
  public_url: string | null;
}

/** A consumer's status: verified address, approval, deactivation. */
export type ConsumerStatus = 'unverified' | 'awaiting_approval' | 'active' | 'deactivated';

/** One row of `GET /admin/consumers`. */
export interface Consumer {
  id: string;
  name: string;
  email: string;
  status: ConsumerStatus;
  created_at: string;
  apps: number;
}

/** One of a consumer's apps, as `GET /admin/consumers/{id}` lists it. */
export interface ConsumerApp {
  id: string;
  name: string;
  description?: string;
  client_id: string;
  scopes: string[];
  active: boolean;
  created_at: string;
}

/** `GET /admin/consumers/{id}`: the consumer and their apps. */
export interface ConsumerDetail extends Omit<Consumer, 'apps'> {
  apps: ConsumerApp[];
}

/** `GET /admin/consumers/{id}/usage`. */
export interface ConsumerUsage {
  from: string;
  to: string;
  days: { day: string; operation: string | null; requests: number; errors: number; p50_ms: number; p95_ms: number }[];
  totals: { requests: number; errors: number };
}

/** `method /admin{path}` with the signed-in admin's token and `body` as JSON; the answer's JSON. */
export function adminCall<T>(method: string, path: string, body?: unknown): Promise<T> {
  return callJson<T>(method, `/admin${path}`, { body, token: session.accessToken(), onUnauthorized: () => session.expired() });
}
