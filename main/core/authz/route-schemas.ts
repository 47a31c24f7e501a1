/** JSON Schema pieces that both the public OAuth routes and the admin routes use. */

export const str = (maxLength: number) => ({ type: 'string', maxLength }) as const;
export const strings = (maxItems: number, maxLength: number) => ({ type: 'array', maxItems, items: str(maxLength) }) as const;
export const errorRef = { $ref: 'Error#' } as const;

export const tokenResponseSchema = {
  type: 'object',
  required: ['access_token', 'token_type', 'expires_in', 'scope'],
  properties: { access_token: { type: 'string' }, token_type: { type: 'string' }, expires_in: { type: 'integer' }, scope: { type: 'string' }, refresh_token: { type: 'string' } },
} as const;
