/** List endpoints answer a JSON array (the documented shape); the cursor of the next page rides in X-Next-Cursor. */
import type { FastifyReply } from 'fastify';
import type { Page, PageArgs } from '../store/paging.js';
import { LIST_LIMIT_MAX, NEXT_CURSOR_HEADER } from './schemas.js';

export function pageArgs(query: { limit?: number | undefined; starting_after?: number | undefined }): PageArgs {
  return { limit: query.limit ?? LIST_LIMIT_MAX, starting_after: query.starting_after };
}

export function sendPage<T>(reply: FastifyReply, page: Page<T>): T[] {
  if (page.next_cursor !== null) reply.header(NEXT_CURSOR_HEADER, String(page.next_cursor));
  return page.items;
}
