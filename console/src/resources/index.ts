// Every resource page, by URL segment.
import type { Resource } from '../components/types';
import { operations } from './operations';
import { actions } from './actions';
import { schemas } from './schemas';
import { connections } from './connections';
import { cronjobs, events, triggers, webhooks } from './events';
import { apps, rateLimits, roles, scopes, users } from './access';
import { identityProviders } from './identityProviders';
import { prompts } from './prompts';

export const RESOURCES: Record<string, Resource> = Object.fromEntries(
  [operations, actions, schemas, connections, events, triggers, webhooks, cronjobs, apps, users, roles, scopes, rateLimits, identityProviders, prompts].map((r) => [r.key, r]),
);
