/* billing_legacy: stored documents written before amounts were Money objects.
 * Operations and invoices keep the document billing answered with when it
 * accepted or issued them; those stored by earlier versions carry amounts as
 * JSON numbers (with an integer `...Minor` twin on invoices). Reading them, we
 * upgrade them in memory to the shape of today (bp_money_json), so every
 * response has one shape whatever the age of the row. Pure: no I/O. */
#ifndef BILLING_LEGACY_H
#define BILLING_LEGACY_H

#include <jansson.h>
#include <stdbool.h>

/* Upgrades an operation document (currency in order.currencyCode) or an
 * invoice document (currency in `currency`) in place: every amount member
 * (unitPrice, amountWithoutTax, amountTax, amountWithTax, totalWithoutTax,
 * totalTax, totalWithTax, base, tax) held as a number becomes a Money object —
 * from its `...Minor` twin when there is one (the twin is removed), else from
 * the number, read exactly at the currency's decimals — and a stray
 * `totalWithTaxMinor` goes. A document already of today's shape (its total
 * with tax a Money object) is left untouched at once. Returns false, leaving
 * what could not be read as it was, when the currency is unknown or an amount
 * does not fit the currency; NULL is a no-op returning true. */
bool bl_legacy_upgrade(json_t *doc);

#endif
