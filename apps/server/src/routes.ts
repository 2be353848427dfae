import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Scope } from './auth/tokens.js';

/** One API route: its schemas drive both validation and the OpenAPI document. */
export interface RouteDef {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  summary: string;
  /** `public` routes need no authentication. */
  scope: Scope | 'public';
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** A description of the success answer for the document. */
  returns?: string;
  handler(input: { params: any; query: any; body: any; request: FastifyRequest; reply: FastifyReply }): unknown;
}

export function defineRoutes(routes: RouteDef[]): RouteDef[] {
  return routes;
}

/** OpenAPI 3.1 from the route table: the zod schemas become JSON Schema. */
export function openApiDocument(routes: RouteDef[], info: { title: string; version: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  // OpenAPI has no optional path parameters: `/a/:b?` is documented as `/a` and `/a/{b}`.
  const variants = (url: string): Array<{ url: string; absent: string[] }> => {
    const m = /\/:([A-Za-z]+)\?$/.exec(url);
    return m ? [{ url: url.slice(0, m.index), absent: [m[1] as string] }, { url: url.replace(/\?$/, ''), absent: [] }] : [{ url, absent: [] }];
  };
  for (const r of routes.flatMap((route) => variants(route.url).map((v) => ({ ...route, url: v.url, absent: v.absent })))) {
    const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const [where, schema] of [['path', r.params], ['query', r.query]] as const) {
      if (!schema) continue;
      const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, s] of Object.entries(json.properties ?? {})) {
        if (where === 'path' && r.absent.includes(name)) continue;
        parameters.push({ name, in: where, required: where === 'path' ? true : (json.required ?? []).includes(name), schema: s });
      }
    }
    const op: Record<string, unknown> = {
      summary: r.summary,
      ...(r.scope === 'public' ? { security: [] } : { 'x-required-scope': r.scope }),
      ...(parameters.length ? { parameters } : {}),
      responses: {
        '200': { description: r.returns ?? 'OK' },
        '400': { description: 'invalid input: `{ code, message, issues: [{ path, message }] }`' },
        ...(r.scope === 'public' ? {} : { '401': { description: 'no or bad credentials' }, '403': { description: `needs scope ${r.scope}` } }),
      },
    };
    if (r.body) op.requestBody = { required: !r.body.safeParse(undefined).success, content: { 'application/json': { schema: z.toJSONSchema(r.body, { io: 'input', unrepresentable: 'any' }) } } };
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'an API token from `symphony tokens create --scope <read|run|admin>`' },
        session: { type: 'apiKey', in: 'cookie', name: 'sym_session', description: 'web UI session; state-changing requests also need x-csrf-token' },
      },
    },
    security: [{ bearer: [] }, { session: [] }],
    paths,
  };
}
