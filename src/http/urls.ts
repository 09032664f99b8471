import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.js';

/** The public base URL for links we hand out: PUBLIC_BASE_URL, else the host the caller reached us on. */
export function publicBaseUrl(request: FastifyRequest, config: Config): string {
  if (config.public_base_url) return config.public_base_url;
  return `${request.protocol}://${request.host}`;
}
