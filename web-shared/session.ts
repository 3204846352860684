// The signed-in session: an OAuth2 password grant (RFC 6749 §4.3) against
// /authorization/token, refreshed a minute before the access token
// expires, revoked (RFC 7009) on sign-out. Kept in sessionStorage: a reload
// or a deep link in the same tab stays signed in, a new tab signs in again.
// Shared by the console (admins) and the portal (consumers); it depends on
// nothing but the DOM, each app wraps it in its own React hook.

/** A signed-in session's tokens. */
export interface Tokens {
  username: string;
  access_token: string;
  refresh_token?: string;
  /** Unix ms when the access token expires. */
  expires_at: number;
  scopes: string[];
}

/** The token endpoint's answer (RFC 6749 §5.1). */
export interface TokenAnswer {
  access_token: string;
  refresh_token?: string;
  expires_in?: number;
  scope?: string;
}

/** What differs between the apps that sign in. */
export interface SessionOptions {
  /** The sessionStorage key the tokens are kept under. */
  storageKey: string;
  /** The sign-in form's message for a refused user name or password. */
  wrongCredentials: string;
  /**
   * Checks a fresh sign-in: a message refuses it (the tokens are revoked
   * and the message shown), null accepts it.
   */
  accept?: (username: string, scopes: string[]) => string | null;
}

/** Refresh this long before the access token expires, ms. */
const REFRESH_EARLY_MS = 60_000;

/** A failed sign-in, with a message for the form. */
export class SignInError extends Error {}

function load(key: string): Tokens | null {
  try {
    const raw = sessionStorage.getItem(key);
    return raw ? (JSON.parse(raw) as Tokens) : null;
  } catch {
    return null;
  }
}

/** Asks the token endpoint for `form`'s grant; the answer, or a SignInError with a message for a form. */
export async function tokenRequest(form: Record<string, string>, wrongCredentials = 'Wrong user name or password.'): Promise<TokenAnswer> {
  let response: Response;
  try {
    response = await fetch('/authorization/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
  } catch {
    throw new SignInError('The server could not be reached.');
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    if (body.error === 'invalid_grant' || body.error === 'invalid_client') throw new SignInError(wrongCredentials);
    if (response.status === 429) throw new SignInError('Too many attempts; wait a minute and try again.');
    throw new SignInError(body.error_description ?? body.detail ?? `Sign-in failed (HTTP ${response.status}).`);
  }
  return body as TokenAnswer;
}

/** One signed-in session of this tab (or none), with listeners for a UI. */
export class Session {
  private readonly options: SessionOptions;
  private tokens: Tokens | null;
  private listeners = new Set<() => void>();
  private timer: number | undefined;
  private renewing: Promise<boolean> | null = null;
  private lastRenewal = 0;
  /** Why the last session ended, shown on the sign-in form. */
  notice: string | null = null;

  constructor(options: SessionOptions) {
    this.options = options;
    this.tokens = load(options.storageKey);
    this.schedule();
  }

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  snapshot = () => this.tokens;

  accessToken(): string | null {
    return this.tokens?.access_token ?? null;
  }

  /** Signs in with the password grant; refuses whom `options.accept` refuses. */
  async signIn(username: string, password: string): Promise<void> {
    const answer = await tokenRequest({ grant_type: 'password', username, password }, this.options.wrongCredentials);
    const scopes = (answer.scope ?? '').split(' ').filter(Boolean);
    const refusal = this.options.accept?.(username, scopes) ?? null;
    if (refusal) {
      await this.revoke(answer.refresh_token ?? answer.access_token);
      throw new SignInError(refusal);
    }
    this.notice = null;
    this.set(answer, username);
  }

  /**
   * Signs in with the one-time code that a sign-in through an outside
   * identity provider handed back (/authorization/providers/handoff);
   * refuses whom `options.accept` refuses.
   */
  async signInWithHandoff(handoff: string): Promise<void> {
    let response: Response;
    try {
      response = await fetch('/authorization/providers/handoff', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ handoff }),
      });
    } catch {
      throw new SignInError('The server could not be reached.');
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new SignInError(body.error_description ?? body.detail ?? `Sign-in failed (HTTP ${response.status}).`);
    const answer = body as TokenAnswer & { username?: string };
    const username = answer.username ?? '';
    const refusal = this.options.accept?.(username, (answer.scope ?? '').split(' ').filter(Boolean)) ?? null;
    if (refusal) {
      await this.revoke(answer.refresh_token ?? answer.access_token);
      throw new SignInError(refusal);
    }
    this.set(answer, username);
  }

  /** Revokes the session on the server and forgets it here. */
  async signOut(): Promise<void> {
    const tokens = this.tokens;
    if (tokens) {
      // The access token lives until it expires unless revoked itself.
      await Promise.all([this.revoke(tokens.access_token), tokens.refresh_token && this.revoke(tokens.refresh_token)]);
    }
    this.set(null);
  }

  /**
   * Gets a new access token with the refresh token, for a request the
   * server refused (401) while the session may live on — its access token's
   * signing key deleted, say. Concurrent callers share one refresh; at most
   * one every 30 s, so that a token refused for good does not loop. Whether
   * a new token came.
   */
  renew(): Promise<boolean> {
    const tokens = this.tokens;
    if (!tokens?.refresh_token) return Promise.resolve(false);
    if (this.renewing) return this.renewing;
    if (Date.now() - this.lastRenewal < 30_000) return Promise.resolve(false);
    this.lastRenewal = Date.now();
    this.renewing = tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, this.options.wrongCredentials)
      .then((answer) => {
        if (this.tokens === tokens) this.set(answer, tokens.username);
        return true;
      })
      .catch(() => false)
      .finally(() => {
        this.renewing = null;
      });
    return this.renewing;
  }

  /** The server refused the token (401): forget it and ask to sign in again. */
  expired(): void {
    if (!this.tokens) return;
    this.notice = 'Your session ended; sign in again.';
    this.set(null);
  }

  private async refresh(): Promise<void> {
    const tokens = this.tokens;
    if (!tokens?.refresh_token) return;
    try {
      const answer = await tokenRequest(
        { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
        this.options.wrongCredentials,
      );
      if (this.tokens === tokens) this.set(answer, tokens.username);
    } catch {
      this.expired();
    }
  }

  private async revoke(token: string): Promise<void> {
    await fetch('/authorization/revoke', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }),
    }).catch(() => undefined);
  }

  private set(answer: TokenAnswer | null, username = ''): void {
    if (answer) {
      this.tokens = {
        username,
        access_token: answer.access_token,
        refresh_token: answer.refresh_token,
        expires_at: Date.now() + (answer.expires_in ?? 3600) * 1000,
        scopes: (answer.scope ?? '').split(' ').filter(Boolean),
      };
      sessionStorage.setItem(this.options.storageKey, JSON.stringify(this.tokens));
    } else {
      this.tokens = null;
      sessionStorage.removeItem(this.options.storageKey);
    }
    this.schedule();
    this.listeners.forEach((l) => l());
  }

  private schedule(): void {
    window.clearTimeout(this.timer);
    if (!this.tokens?.refresh_token) return;
    const due = Math.max(this.tokens.expires_at - Date.now() - REFRESH_EARLY_MS, 1_000);
    this.timer = window.setTimeout(() => void this.refresh(), due);
  }
}
