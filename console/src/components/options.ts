// Names the forms offer as choices, fetched once per page view and
// refreshed after a save.
import { useEffect, useState } from 'react';
import type { Source } from './types';
import { RESOURCES } from '../resources';

const cache = new Map<Source, Promise<string[]>>();

/** Forgets the cached names (after a create, update or delete). */
export function invalidateOptions(): void {
  cache.clear();
}

/** The names of every item of `source` (empty while loading or on failure). */
export function useOptions(source: Source | undefined): string[] {
  const [names, setNames] = useState<string[]>([]);
  useEffect(() => {
    if (!source) return;
    let live = true;
    let pending = cache.get(source);
    if (!pending) {
      const resource = RESOURCES[source];
      pending = resource
        .list()
        .then((items) => items.map(resource.id))
        .catch(() => []);
      cache.set(source, pending);
    }
    void pending.then((n) => live && setNames(n));
    return () => {
      live = false;
    };
  }, [source]);
  return names;
}
