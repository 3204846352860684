// The portal's session: the shared one (web-shared/session.ts), a
// consumer's password grant with their email as the user name, kept under
// its own key so that the console and the portal in one browser do not mix.
import { useSyncExternalStore } from 'react';
import { Session, SignInError, type Tokens } from '../../web-shared/session';

export { SignInError };

/** The one session of this tab. */
export const session = new Session({
  storageKey: 'sluice.portal.session',
  wrongCredentials: 'Wrong email or password, or the account is not active yet.',
});

/** The signed-in tokens (re-rendering on change), or null. */
export function useSession(): Tokens | null {
  return useSyncExternalStore(session.subscribe, session.snapshot);
}
