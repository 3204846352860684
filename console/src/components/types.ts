// What a resource page is made of: the admin API calls for one kind of
// thing, its list columns and its form fields.
import type { ComponentType, ReactNode } from 'react';

/** Form values by field name; a `json` field holds its text. */
export type Values = Record<string, unknown>;

/** Lists of names the forms offer as choices. */
export type Source =
  | 'actions'
  | 'scopes'
  | 'schemas'
  | 'roles'
  | 'events'
  | 'connections'
  | 'operations'
  | 'apps'
  | 'users';

export interface Field {
  /** Key in the values, and the first segment of the server's JSON pointers for it. */
  name: string;
  label: string;
  kind: 'text' | 'textarea' | 'number' | 'switch' | 'select' | 'multiselect' | 'json' | 'secret' | 'pairs' | 'file';
  required?: boolean;
  description?: string;
  placeholder?: string;
  /** Fixed choices for select and multiselect. */
  options?: string[];
  /** Choices from the server for select and multiselect (and the second column of pairs). */
  source?: Source;
  /** Only when creating: a name cannot change afterwards. */
  createOnly?: boolean;
  /** For json fields: check the text as a JSON Schema 2020-12 while typing. */
  jsonSchema?: boolean;
  /** For secret fields: whether the stored item has one (then empty keeps it). */
  isSet?: boolean;
  /** For pairs: the label of the key column. */
  keyLabel?: string;
}

export interface Column<T> {
  label: string;
  render: (item: T) => ReactNode;
}

/** One kind of thing the admin API manages. */
export interface Resource<T = any> {
  /** The URL segment: /console/<key>. */
  key: string;
  title: string;
  singular: string;
  list: () => Promise<T[]>;
  get: (id: string) => Promise<T>;
  create?: (values: Values) => Promise<unknown>;
  update?: (id: string, values: Values, item: T) => Promise<unknown>;
  remove?: (id: string) => Promise<unknown>;
  id: (item: T) => string;
  /** Items the server keeps read-only (the built-in actions). */
  readOnly?: (item: T) => boolean;
  columns: Column<T>[];
  /** The form's fields, for a new item (no `item`) or an existing one. */
  fields: (values: Values, item?: T) => Field[];
  /** The form's values for `item`, or the defaults for a new one. */
  values: (item?: T) => Values;
  /** The text the list's search box looks in. */
  search: (item: T) => string;
  /** Panels under an item's form (try it, versions, history …). */
  Extras?: ComponentType<{ item: T; reload: () => void }>;
  /** What a create answered that is shown once (a secret). */
  Created?: ComponentType<{ result: any }>;
  /** A note above the list. */
  intro?: ReactNode;
}
