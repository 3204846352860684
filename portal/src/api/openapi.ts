// The hosted API's OpenAPI 3.1 document (GET /system/openapi.json) and the
// consumer API's own (GET /system/consumer-openapi.json), flattened into
// the operations the reference lists.
import { sample } from 'openapi-sampler';

/** A JSON Schema or a `$ref` to one (the document's own types are loose). */
export type Schema = Record<string, unknown>;

/** An OpenAPI parameter object. */
export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  description?: string;
  schema?: Schema;
  example?: unknown;
}

interface MediaType {
  schema?: Schema;
  example?: unknown;
}

/** An OpenAPI document, as far as the reference reads it. */
export interface Document {
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, RawOperation>>;
  components?: { schemas?: Record<string, Schema> };
}

interface RawOperation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  deprecated?: boolean;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, MediaType> };
  responses?: Record<string, { description?: string; content?: Record<string, MediaType> }>;
  security?: Record<string, string[]>[];
}

/** One operation of a document, ready to show. */
export interface Operation {
  /** The operationId (or `METHOD path`), unique in the portal. */
  id: string;
  method: string;
  path: string;
  summary: string;
  description: string;
  tag: string;
  deprecated: boolean;
  /** Anonymous callers may call it. */
  public: boolean;
  /** Scopes that grant it: any one of them. */
  scopes: string[];
  parameters: Parameter[];
  body?: { required: boolean; schema?: Schema; example?: unknown };
  responses: { status: string; description: string; mediaType?: string; schema?: Schema; example?: unknown }[];
  /** Which document it is from. */
  api: 'hosted' | 'consumer';
  document: Document;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** An example for `schema`: its own, else one openapi-sampler makes from it. */
export function exampleOf(schema: Schema | undefined, document: Document, given?: unknown): unknown {
  if (given !== undefined) return given;
  if (!schema) return undefined;
  try {
    return sample(schema as never, { skipReadOnly: true, quiet: true }, document);
  } catch {
    return undefined;
  }
}

/** The operations of `document`, in path order. */
export function operations(document: Document, api: Operation['api']): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const security = op.security ?? [];
      const json = op.requestBody?.content?.['application/json'];
      out.push({
        id: op.operationId ?? `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        summary: op.summary ?? '',
        description: op.description ?? '',
        tag: op.tags?.[0] ?? (api === 'consumer' ? 'consumer' : 'other'),
        deprecated: op.deprecated ?? false,
        public: security.length === 0 || security.some((s) => Object.keys(s).length === 0),
        scopes: [...new Set(security.flatMap((s) => Object.values(s).flat()))],
        parameters: op.parameters ?? [],
        body: op.requestBody
          ? { required: op.requestBody.required ?? false, schema: json?.schema, example: exampleOf(json?.schema, document, json?.example) }
          : undefined,
        responses: Object.entries(op.responses ?? {}).map(([status, r]) => {
          const [mediaType, media] = Object.entries(r.content ?? {})[0] ?? [];
          return {
            status,
            description: r.description ?? '',
            mediaType,
            schema: media?.schema,
            example: exampleOf(media?.schema, document, media?.example),
          };
        }),
        api,
        document,
      });
    }
  }
  return out;
}

/** GET `url` as an OpenAPI document; null when the server has none there (404). */
export async function loadDocument(url: string): Promise<Document | null> {
  const response = await fetch(url, { headers: { Accept: 'application/json' } });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
  return (await response.json()) as Document;
}
