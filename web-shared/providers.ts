// "Sign in with …" an outside identity provider, shared by the portal's
// sign-in form and the console's: the buttons' providers, where a button
// goes, and the answer the provider's sign-in comes back with
// (/authorization/providers/…, runtime/src/api/federation.rs).

/** A provider offered on a sign-in page. */
export interface ProviderButton {
  name: string;
  label: string;
}

/** The active providers of `audience`; none when they cannot be read. */
export async function listProviders(audience: 'portal' | 'console'): Promise<ProviderButton[]> {
  try {
    const response = await fetch(`/authorization/providers?audience=${audience}`);
    return response.ok ? ((await response.json()) as ProviderButton[]) : [];
  } catch {
    return [];
  }
}

/** Where provider `name`'s button goes: the server sends the browser on to the provider, and back to `returnTo`. */
export function startUrl(name: string, returnTo: string): string {
  return `/authorization/providers/${encodeURIComponent(name)}/start?return_to=${encodeURIComponent(returnTo)}`;
}

/**
 * The sentence for a provider sign-in's `signin_error` code: fixed texts,
 * so that a crafted link cannot make the page say something of its own.
 */
export function signInErrorText(code: string): string {
  const texts: Record<string, string> = {
    unverified_email: 'The provider did not confirm an email address, which signing in here needs.',
    domain: "Your address's domain may not sign in here with this provider.",
    no_account: 'No account here has the address the provider gave. Sign up first, or ask an administrator.',
    inactive: 'The account is not active.',
    other_side: 'This identity belongs to an account on the other side (the console or the developer portal): sign in there.',
    linked_elsewhere: 'The account with this address is linked to another identity at this provider.',
    closed: 'This site takes no new accounts.',
    awaiting_approval: 'The account was made and waits for an administrator to approve it.',
    provider_refused: 'The provider refused the sign-in.',
    provider_failed: "The provider's answer could not be checked; try again, or ask an administrator to look at the server log.",
  };
  return texts[code] ?? 'The sign-in through the provider failed.';
}

/** What a provider sign-in came back with: a one-time code or why not, and the page to go on to. */
export interface ProviderAnswer {
  handoff: string | null;
  error: string | null;
  next: string;
}

/**
 * The provider sign-in's answer in this page's query (`handoff` or
 * `signin_error`, with `next`), taken out of the address bar; `null` when
 * there is none. `next` stays under `home` (never another site).
 */
export function takeProviderAnswer(home: string): ProviderAnswer | null {
  const params = new URLSearchParams(window.location.search);
  const handoff = params.get('handoff');
  const error = params.get('signin_error');
  if (!handoff && !error) return null;
  const asked = params.get('next') ?? home;
  const next = asked.startsWith(home) && !asked.includes('//') && !asked.includes('\\') ? asked : home;
  for (const name of ['handoff', 'signin_error', 'next']) params.delete(name);
  const rest = params.toString();
  window.history.replaceState(null, '', `${window.location.pathname}${rest ? `?${rest}` : ''}`);
  return { handoff, error, next };
}
