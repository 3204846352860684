// The device authorization grant's approval calls (RFC 8628 §3.3), shared
// by the console's page (Sluice's CLI: `sluice login URL --device`) and the
// portal's (an app's device request).
import { callJson } from './call';

/** What asks, as GET /authorization/device/verify shows it. */
export interface DeviceRequest {
  client_id: string;
  app: string;
  description: string;
  first_party: boolean;
  unverified: boolean;
  scopes: { name: string; description: string }[];
  requested_from: string;
  requested_at: number;
  expires_at: number;
}

/** The user code in the page's query (`verification_uri_complete`), if any. */
export function userCodeInQuery(): string {
  return new URLSearchParams(window.location.search).get('user_code') ?? '';
}

/** The pending request `userCode` names. */
export function lookUp(userCode: string, token: string | null, onUnauthorized: () => void): Promise<DeviceRequest> {
  return callJson<DeviceRequest>('GET', `/authorization/device/verify?user_code=${encodeURIComponent(userCode)}`, { token, onUnauthorized });
}

/** Approves (`allow`) or denies the request `userCode` names. */
export function decide(userCode: string, decision: 'allow' | 'deny', token: string | null, onUnauthorized: () => void) {
  return callJson<{ status: 'approved' | 'denied'; app: string }>('POST', '/authorization/device/verify', {
    body: { user_code: userCode, decision },
    token,
    onUnauthorized,
  });
}
