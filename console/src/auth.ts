// The console's session: the shared one (web-shared/session.ts), kept
// under its own key, refusing a user without the `admin` scope.
import { useSyncExternalStore } from 'react';
import { Session, SignInError, type Tokens } from '../../web-shared/session';

export { SignInError };

/** The one session of this tab. */
export const session = new Session({
  storageKey: 'sluice.console.session',
  wrongCredentials: 'Wrong user name or password.',
  accept: (username, scopes) =>
    scopes.includes('admin')
      ? null
      : `${username} is signed in but lacks the admin scope: the console needs a user with a role that grants "admin".`,
});

/** The signed-in tokens (re-rendering on change), or null. */
export function useSession(): Tokens | null {
  return useSyncExternalStore(session.subscribe, session.snapshot);
}
