import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { notFound } from '../domain/errors.js';
import { minorToJsonNumber } from '../domain/money.js';
import type { Services } from '../services/index.js';
import { getWallet, listMerchantWallets, walletEntries } from '../services/wallets.js';
import type { WalletView } from '../store/wallets.js';
import { AmountOut, DateTimeOut, IdInt, LIST_LIMIT_MAX, NEXT_CURSOR_HEADER, Nullable, Type } from './schemas.js';

const WalletResponse = Type.Object(
  {
    id: Type.Integer(),
    currency: Type.String(),
    status: Type.String({ description: 'ACTIVE, RESTRICTED, FROZEN or CLOSED' }),
    available_balance: AmountOut({ description: 'Spendable now' }),
    pending_balance: AmountOut({ description: 'Held for payouts and refunds in flight' }),
    created_at: DateTimeOut(),
    updated_at: DateTimeOut(),
  },
  { title: 'WalletResponse' },
);

const WalletEntryResponse = Type.Object(
  {
    id: Type.String({ description: 'Ledger posting id (cursor)' }),
    transaction_id: Type.Integer(),
    balance: Type.String({ description: 'available or pending' }),
    kind: Type.String(),
    description: Type.String(),
    amount: AmountOut({ description: 'Change to that balance: positive in, negative out' }),
    balance_after: AmountOut(),
    currency: Type.String(),
    reference_id: Nullable(Type.String()),
    operation_type: Nullable(Type.String()),
    created_at: DateTimeOut(),
  },
  { title: 'WalletEntryResponse' },
);

function view(w: WalletView) {
  return {
    id: w.id,
    currency: w.currency,
    status: w.status,
    available_balance: minorToJsonNumber(w.available_minor, w.currency),
    pending_balance: minorToJsonNumber(w.pending_minor, w.currency),
    created_at: w.created_at,
    updated_at: w.updated_at,
  };
}

/** Beyond Dollr: the merchant's wallets, their balances (O(1) reads) and ledger entries (cursor-paged). */
export const walletRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { ctx } = services;
  app.get(
    '/wallets',
    { schema: { tags: ['wallets'], summary: 'List Wallets', operationId: 'list_wallets', response: { 200: Type.Array(WalletResponse) } } },
    async (request) => (await listMerchantWallets(ctx, request.auth)).map(view),
  );

  app.get(
    '/wallets/:wallet_id',
    {
      schema: { tags: ['wallets'], summary: 'Get Wallet', operationId: 'get_wallet', params: Type.Object({ wallet_id: IdInt() }), response: { 200: WalletResponse } },
    },
    async (request) => {
      const w = await getWallet(ctx, request.auth, request.params.wallet_id);
      if (!w) throw notFound();
      return view(w);
    },
  );

  app.get(
    '/wallets/:wallet_id/entries',
    {
      schema: {
        tags: ['wallets'],
        summary: 'List Wallet Entries',
        operationId: 'list_wallet_entries',
        params: Type.Object({ wallet_id: IdInt() }),
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIST_LIMIT_MAX })),
            starting_after: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,18}$', description: 'An entry id from the X-Next-Cursor header' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(WalletEntryResponse) },
      },
    },
    async (request, reply) => {
      const limit = request.query.limit ?? LIST_LIMIT_MAX;
      const page = await walletEntries(ctx, request.auth, request.params.wallet_id, {
        limit,
        starting_after: request.query.starting_after ? BigInt(request.query.starting_after) : undefined,
      });
      if (!page) throw notFound();
      if (page.entries.length === limit) reply.header(NEXT_CURSOR_HEADER, page.entries[page.entries.length - 1]!.id.toString());
      return page.entries.map((e) => ({
        id: e.id.toString(),
        transaction_id: e.transaction_id,
        balance: e.balance,
        kind: e.kind,
        description: e.description,
        amount: minorToJsonNumber(e.amount_minor, page.wallet.currency),
        balance_after: minorToJsonNumber(e.balance_after_minor, page.wallet.currency),
        currency: page.wallet.currency,
        reference_id: e.reference_id,
        operation_type: e.operation_type,
        created_at: e.created_at,
      }));
    },
  );
};
