/**
 * Sandbox card catalogue, pure: the test PaymentMethod ids a card checkout may send, in the spirit
 * of Stripe's test ids (docs.stripe.com/testing and /payments/3d-secure/authentication-flow, which
 * give these ids and numbers). The card-provider-info prediction reads brand and country from here;
 * the card sandbox (built later) reads `behaviour` to decide the outcome of a charge.
 * No real card data: every number is a published test number.
 */

export type CardBehaviour = 'succeeds' | 'declined' | 'insufficient_funds' | 'requires_3ds_then_succeeds' | 'requires_3ds_then_fails';
export type CardFunding = 'credit' | 'debit' | 'prepaid';

export interface SandboxCard {
  readonly id: string;
  /** Stripe's card.brand values. */
  readonly brand: 'visa' | 'mastercard' | 'amex' | 'discover' | 'diners' | 'jcb' | 'unionpay';
  readonly country: string; // ISO-3166 alpha-2 of the issuer
  readonly funding: CardFunding;
  readonly number: string; // the published test number
  readonly behaviour: CardBehaviour;
}

const card = (id: string, brand: SandboxCard['brand'], number: string, behaviour: CardBehaviour = 'succeeds', funding: CardFunding = 'credit', country = 'US'): SandboxCard =>
  Object.freeze({ id, brand, country, funding, number, behaviour });

export const SANDBOX_CARDS: readonly SandboxCard[] = Object.freeze([
  // Succeed, by brand
  card('pm_card_visa', 'visa', '4242424242424242'),
  card('pm_card_visa_debit', 'visa', '4000056655665556', 'succeeds', 'debit'),
  card('pm_card_mastercard', 'mastercard', '5555555555554444'),
  card('pm_card_mastercard_debit', 'mastercard', '5200828282828210', 'succeeds', 'debit'),
  card('pm_card_mastercard_prepaid', 'mastercard', '5105105105105100', 'succeeds', 'prepaid'),
  card('pm_card_amex', 'amex', '378282246310005'),
  card('pm_card_discover', 'discover', '6011111111111117'),
  card('pm_card_diners', 'diners', '3056930009020004'),
  card('pm_card_jcb', 'jcb', '3566002020360505', 'succeeds', 'credit', 'JP'),
  card('pm_card_unionpay', 'unionpay', '6200000000000005', 'succeeds', 'credit', 'CN'),
  // Succeed, by issuing country
  card('pm_card_us', 'visa', '4242424242424242'),
  card('pm_card_gb', 'visa', '4000008260000000', 'succeeds', 'credit', 'GB'),
  card('pm_card_ca', 'visa', '4000001240000000', 'succeeds', 'credit', 'CA'),
  card('pm_card_fr', 'visa', '4000002500000003', 'succeeds', 'credit', 'FR'),
  card('pm_card_de', 'visa', '4000002760000016', 'succeeds', 'credit', 'DE'),
  // Declines
  card('pm_card_chargeDeclined', 'visa', '4000000000000002', 'declined'),
  card('pm_card_visa_chargeDeclined', 'visa', '4000000000000002', 'declined'),
  card('pm_card_chargeDeclinedInsufficientFunds', 'visa', '4000000000009995', 'insufficient_funds'),
  card('pm_card_visa_chargeDeclinedInsufficientFunds', 'visa', '4000000000009995', 'insufficient_funds'),
  card('pm_card_chargeDeclinedExpiredCard', 'visa', '4000000000000069', 'declined'),
  card('pm_card_chargeDeclinedIncorrectCvc', 'visa', '4000000000000127', 'declined'),
  card('pm_card_chargeDeclinedProcessingError', 'visa', '4000000000000119', 'declined'),
  card('pm_card_chargeDeclinedLostCard', 'visa', '4000000000009987', 'declined'),
  card('pm_card_chargeDeclinedStolenCard', 'visa', '4000000000009979', 'declined'),
  // 3D Secure
  card('pm_card_threeDSecure2Required', 'visa', '4000000000003220', 'requires_3ds_then_succeeds'),
  card('pm_card_authenticationRequired', 'visa', '4000002500003155', 'requires_3ds_then_succeeds'),
  card('pm_card_threeDSecureRequiredChargeDeclined', 'visa', '4000008400001629', 'requires_3ds_then_fails'),
  card('pm_card_threeDSecureOptional', 'visa', '4000000000003055'),
  card('pm_card_amex_threeDSecureNotSupported', 'amex', '378282246310005'),
]);

const BY_ID: ReadonlyMap<string, SandboxCard> = new Map(SANDBOX_CARDS.map((c) => [c.id, c]));

export function sandboxCard(id: string): SandboxCard | undefined {
  return BY_ID.get(id);
}

/** A few ids to name in an error message (the full list is in the docs). */
export const SANDBOX_CARD_EXAMPLES = ['pm_card_visa', 'pm_card_mastercard', 'pm_card_chargeDeclined', 'pm_card_threeDSecure2Required'] as const;
