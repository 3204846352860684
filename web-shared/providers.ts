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
