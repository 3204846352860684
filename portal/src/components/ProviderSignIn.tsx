// The "Sign in with …" buttons under the sign-in form, and the end of such
// a sign-in: the one-time code in the address is exchanged for a session.
import { useEffect, useState } from 'react';
import { Button, Divider, Stack } from '@mantine/core';
import { listProviders, signInErrorText, startUrl, takeProviderAnswer, type ProviderButton } from '../../../web-shared/providers';
import { session, SignInError } from '../auth';

/** `onError` hears why a provider sign-in failed. */
export function ProviderSignIn({ onError }: { onError: (message: string) => void }) {
  const [providers, setProviders] = useState<ProviderButton[]>([]);
  useEffect(() => {
    void listProviders('portal').then(setProviders);
    const answer = takeProviderAnswer('/portal');
    if (!answer) return;
    if (answer.error) onError(signInErrorText(answer.error));
    else if (answer.handoff)
      session
        .signInWithHandoff(answer.handoff)
        .then(() => window.location.replace(answer.next))
        .catch((e) => onError(e instanceof SignInError ? e.message : 'Sign-in failed; try again.'));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  if (!providers.length) return null;
  const here = window.location.pathname === '/portal/signin' ? '/portal/apps' : `${window.location.pathname}${window.location.search}`;
  return (
    <Stack gap="xs" mt="md">
      <Divider label="or" labelPosition="center" />
      {providers.map((p) => (
        <Button key={p.name} component="a" href={startUrl(p.name, here)} variant="default">
          Sign in with {p.label}
        </Button>
      ))}
    </Stack>
  );
}
