// The API's types for the dashboard, derived from schema.d.ts, which openapi-typescript generates
// from openapi.json (the server's document) at every `npm run check` / `npm run build`. Nothing
// here names a field: a field renamed or removed in the document changes these types, and
// svelte-check fails every checked file that still uses the old name.
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
/** A named schema of the document: `Schema<'Holdings'>`. */
export type Schema<N extends keyof Schemas> = Schemas[N];

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Prefix = '/api/v1';

/** The paths below /api/v1, as the document writes them ('/portfolios/{id}'), that answer M. */
export type PathOf<M extends Method> = {
  [K in keyof paths]: K extends `${Prefix}${infer R}` ? ([paths[K][M]] extends [undefined] ? never : R) : never;
}[keyof paths];

type Operation<P extends string, M extends Method> = paths[`${Prefix}${P}` & keyof paths][M];

type Content<R> = R extends { content: { 'application/json': infer J } } ? J : null;
type Success<O> = O extends { responses: infer R } ? Content<R[Extract<keyof R, 200 | 201 | 202 | 204>]> : never;
type Parameters<O> = O extends { parameters: infer X } ? X : never;

/** The JSON of a successful answer (null for 204). */
export type Answer<P extends PathOf<M>, M extends Method = 'get'> = Success<Operation<P, M>>;
/** One element of a list answer's `items`. */
export type Item<P extends PathOf<M>, M extends Method = 'get'> =
  Answer<P, M> extends { items: (infer I)[] } ? I : never;
/** The JSON request body of P and M. */
export type Body<P extends PathOf<M>, M extends Method> =
  Operation<P, M> extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

/** Options of a call: the path's {parameters}, the query, extra headers. */
export type Options<P extends PathOf<M>, M extends Method> = {
  path?: Parameters<Operation<P, M>> extends { path: infer X } ? X : never;
  query?: Parameters<Operation<P, M>> extends { query?: infer Q } ? Q : never;
  headers?: Record<string, string>;
};
