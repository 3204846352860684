// Outside identity providers: "Sign in with …" an OpenID Connect provider
// (by its issuer) or a GitHub-style OAuth2 provider (by its endpoints), for
// consumers in the portal or administrators in the console.
import { Code, Text } from '@mantine/core';
import { api, unwrap, type Schemas } from '../api/client';
import type { Field, Resource, Values } from '../components/types';
import { NAME_FIELD, optional } from './util';

type Provider = Schemas['IdentityProvider'];

/** The admin API's body for the form's values (an update's has no name: the path gives it). */
function body(v: Values): Schemas['IdentityProviderUpdate'] {
  const oidc = v.kind !== 'oauth2';
  const scopes = String(v.scopes ?? '')
    .split(/\s+/)
    .filter(Boolean);
  return {
    kind: oidc ? 'oidc' : 'oauth2',
    label: String(v.label ?? ''),
    audience: v.audience === 'console' ? 'console' : 'portal',
    ...(oidc
      ? { issuer: String(v.issuer ?? '') }
      : {
          authorization_endpoint: String(v.authorization_endpoint ?? ''),
          token_endpoint: String(v.token_endpoint ?? ''),
          userinfo_endpoint: String(v.userinfo_endpoint ?? ''),
          subject_claim: optional(v, 'subject_claim'),
        }),
    trust_email: Boolean(v.trust_email),
    client_id: String(v.client_id ?? ''),
    ...(optional(v, 'client_secret') ? { client_secret: String(v.client_secret) } : {}),
    ...(scopes.length ? { scopes } : {}),
    accounts: v.accounts === 'create' ? 'create' : 'link',
    roles: v.audience === 'console' ? ((v.roles as string[]) ?? []) : [],
    email_domains: String(v.email_domains ?? '')
      .split(/[\s,]+/)
      .filter(Boolean),
    active: Boolean(v.active),
  };
}

export const identityProviders: Resource<Provider> = {
  key: 'identity-providers',
  title: 'Identity providers',
  singular: 'identity provider',
  list: () => unwrap(api.GET('/identity-providers')),
  get: (name) => unwrap(api.GET('/identity-providers/{name}', { params: { path: { name } } })),
  create: (v) => unwrap(api.POST('/identity-providers', { body: { ...body(v), name: String(v.name ?? ''), client_secret: String(v.client_secret ?? '') } })),
  update: (name, v) => unwrap(api.PUT('/identity-providers/{name}', { params: { path: { name } }, body: body(v) })),
  remove: (name) => unwrap(api.DELETE('/identity-providers/{name}', { params: { path: { name } } })),
  id: (p) => p.name,
  search: (p) => `${p.name} ${p.label} ${p.issuer ?? ''} ${p.authorization_endpoint ?? ''}`,
  intro: (
    <Text size="sm" c="dimmed">
      Consumers (portal) or administrators (console) sign in with an outside provider. Register{' '}
      <Code style={{ overflowWrap: 'anywhere' }}>{`${window.location.origin}/authorization/providers/<name>/callback`}</Code> as the redirect URI
      there.
    </Text>
  ),
  columns: [
    { label: 'Name', render: (p) => p.name },
    { label: 'Kind', render: (p) => p.kind },
    { label: 'For', render: (p) => p.audience },
    { label: 'Accounts', render: (p) => p.accounts },
    { label: 'Active', render: (p) => (p.active ? 'yes' : 'no') },
  ],
  values: (p) => ({
    name: p?.name ?? '',
    kind: p?.kind ?? 'oidc',
    label: p?.label ?? '',
    audience: p?.audience ?? 'portal',
    issuer: p?.issuer ?? '',
    authorization_endpoint: p?.authorization_endpoint ?? '',
    token_endpoint: p?.token_endpoint ?? '',
    userinfo_endpoint: p?.userinfo_endpoint ?? '',
    subject_claim: p?.subject_claim ?? '',
    trust_email: p?.trust_email ?? false,
    client_id: p?.client_id ?? '',
    client_secret: '',
    scopes: (p?.scopes ?? []).join(' '),
    accounts: p?.accounts ?? 'link',
    roles: p?.roles ?? [],
    email_domains: (p?.email_domains ?? []).join(' '),
    active: p?.active ?? true,
  }),
  fields: (v, item) => {
    const fields: Field[] = [
      NAME_FIELD,
      { name: 'label', label: 'Button label', kind: 'text', description: 'Shown as "Sign in with <label>" (default: the name).' },
      { name: 'kind', label: 'Kind', kind: 'select', options: ['oidc', 'oauth2'], required: true, description: 'oidc: OpenID Connect, found by its issuer. oauth2: GitHub-style, by its endpoints.' },
      { name: 'audience', label: 'For', kind: 'select', options: ['portal', 'console'], required: true },
    ];
    if (v.kind === 'oauth2')
      fields.push(
        { name: 'authorization_endpoint', label: 'Authorization endpoint', kind: 'text', required: true },
        { name: 'token_endpoint', label: 'Token endpoint', kind: 'text', required: true },
        { name: 'userinfo_endpoint', label: 'User endpoint', kind: 'text', required: true, description: 'Answers who the token is for, as JSON.' },
        { name: 'subject_claim', label: 'Id member', kind: 'text', placeholder: 'id' },
        { name: 'trust_email', label: 'Trust its email when it does not say whether it is verified', kind: 'switch' },
      );
    else fields.push({ name: 'issuer', label: 'Issuer', kind: 'text', required: true, placeholder: 'https://accounts.example.com' });
    fields.push(
      { name: 'client_id', label: 'Client id', kind: 'text', required: true },
      { name: 'client_secret', label: 'Client secret', kind: 'secret', required: !item, isSet: Boolean(item) },
      { name: 'scopes', label: 'Scopes', kind: 'text', placeholder: v.kind === 'oauth2' ? 'read:user user:email' : 'openid email profile' },
      { name: 'accounts', label: 'Accounts', kind: 'select', options: ['link', 'create'], description: 'link: only accounts with the same verified email. create: else a new account.' },
    );
    fields.push({
      name: 'email_domains',
      label: 'Email domains',
      kind: 'text',
      placeholder: 'example.com',
      description: 'Only addresses at these domains sign in (empty: any). Required for a console provider that creates accounts.',
    });
    if (v.audience === 'console') fields.push({ name: 'roles', label: 'Roles of new accounts', kind: 'multiselect', source: 'roles' });
    fields.push({ name: 'active', label: 'Active', kind: 'switch' });
    return fields;
  },
};
