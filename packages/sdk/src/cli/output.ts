/**
 * What the CLI prints: JSON documents under --json, aligned "key  value" lines for people, and
 * errors that say what to fix (every 422 detail item on its own line, the request id for support).
 */
import { DollrError, DollrNetworkError, DollrRateLimitError, DollrServerError, DollrValidationError, formatValidationDetail } from '../errors.js';
import type { ExecutionResponse } from '../types.js';

export const EXIT = { ok: 0, error: 1, usage: 2, failed: 3, timeout: 4 } as const;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface Out {
  json: boolean;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export function printJson(out: Out, value: unknown): void {
  out.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Display only: an amount the server sent, at its currency's decimals (no arithmetic). */
export function fmtAmount(amount: number | string | null | undefined, currency: string | null | undefined): string {
  if (amount === null || amount === undefined) return '-';
  const decimals = currency === 'RWF' ? 0 : 2;
  const text = typeof amount === 'number' ? amount.toFixed(decimals) : amount;
  return currency ? `${text} ${currency}` : text;
}

export function printFields(out: Out, rows: [string, unknown][]): void {
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) {
    if (v === undefined) continue;
    out.stdout.write(`${k.padEnd(width)}  ${v === null ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v)}\n`);
  }
}

export function printObject(out: Out, obj: Record<string, unknown>): void {
  if (out.json) return printJson(out, obj);
  printFields(out, Object.entries(obj));
}

export function printExecution(out: Out, e: ExecutionResponse): void {
  if (out.json) return printJson(out, e);
  printFields(out, [
    ['reference_id', e.reference_id],
    ['status', e.status],
    ['operation', e.operation_type],
    ['payer_amount', fmtAmount(e.payer_amount, e.payer_currency)],
    ['payee_amount', fmtAmount(e.payee_amount, e.payee_currency)],
    ['provider_transaction_id', e.provider_transaction_id],
    ['gateway_message', e.gateway_message ?? undefined],
    ['wallet_message', e.wallet_message ?? undefined],
    ['requires_action', e.requires_action ? 'yes (client_secret issued)' : undefined],
  ]);
}

export function printTable(out: Out, headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  out.stdout.write(`${line(headers)}\n`);
  for (const r of rows) out.stdout.write(`${line(r)}\n`);
}

/** The exit code for an error, after telling the user about it on stderr. */
export function reportError(out: Out, err: unknown): number {
  if (err instanceof UsageError) {
    if (out.json) out.stderr.write(`${JSON.stringify({ error: { type: 'usage', message: err.message } })}\n`);
    else out.stderr.write(`dollr: ${err.message}\nRun \`dollr help\` for usage.\n`);
    return EXIT.usage;
  }
  if (err instanceof DollrError) {
    if (out.json) {
      out.stderr.write(
        `${JSON.stringify({
          error: {
            type: err.name,
            status: err.status,
            message: err.message,
            body: err.body ?? null,
            request_id: err.requestId ?? null,
            reference_id: err.referenceId ?? null,
          },
        })}\n`,
      );
      return EXIT.error;
    }
    const lines: string[] = [];
    if (err instanceof DollrValidationError) {
      lines.push(`The server refused the request (422) — fix ${err.detail.length === 1 ? 'this' : 'these'}:`);
      for (const l of formatValidationDetail(err.detail)) lines.push(`  • ${l}`);
    } else if (err instanceof DollrRateLimitError) {
      lines.push(`Rate limited (429)${err.retryAfterMs !== undefined ? `: retry in ${Math.ceil(err.retryAfterMs / 1000)} s` : ''}.`);
    } else if (err instanceof DollrServerError) {
      lines.push(`Server error (${err.status})${err.errorId ? `, error_id ${err.errorId}` : ''}: ${err.detailMessage ?? err.message}`);
    } else if (err instanceof DollrNetworkError) {
      lines.push(err.message);
    } else {
      lines.push(err.detailMessage ? `${err.detailMessage} (${err.status})` : err.message);
    }
    if (err.referenceId) lines.push(`reference_id ${err.referenceId} — check it with \`dollr status <operation> ${err.referenceId}\` before trying again.`);
    if (err.requestId) lines.push(`request id ${err.requestId}`);
    out.stderr.write(`dollr: ${lines.join('\n')}\n`);
    return EXIT.error;
  }
  const message = err instanceof Error ? err.message : String(err);
  if (out.json) out.stderr.write(`${JSON.stringify({ error: { type: 'error', message } })}\n`);
  else out.stderr.write(`dollr: ${message}\n`);
  return EXIT.error;
}
