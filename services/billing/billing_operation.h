/* billing_operation: a purchase or refund request, from JSON to integer
 * amounts. Pure (no I/O): validates the reference fields, computes every line
 * (quantity × unit price, VAT per line rounded half up) and the order totals in
 * minor units, rejects client amounts that disagree (naming the field), and
 * builds the operation document that responses and events carry. */
#ifndef BILLING_OPERATION_H
#define BILLING_OPERATION_H

#include "bp_time.h"
#include "bp_validate.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum { BL_PURCHASE = 0, BL_REFUND } bl_op_type;

/* Distinct VAT rates one operation may carry. */
#define BL_MAX_VAT_RATES 16

/* The operation's amounts at one VAT rate (basis points), in minor units. */
typedef struct {
    int64_t bp, base, tax;
} bl_vat_share;

typedef struct {
    /* identity, from bl_operation_parse_head (strings borrowed from the request) */
    const char *contract_id;  /* may be NULL when contract_ref is given */
    const char *contract_ref; /* may be NULL when contract_id is given */
    const char *order_ref;
    const char *refund_of; /* REFUND: the purchase's orderRef */
    const char *currency;  /* order.currencyCode, NULL: the contract's */
    bl_op_type type;
    const char *operation_at; /* as sent: "YYYY-MM-DD" or RFC 3339 */
    int64_t operation_at_ms;  /* instant (a date alone: 12:00 local that day) */
    bp_date operation_date;   /* calendar date in the billing time zone */
    /* amounts, from bl_operation_parse_amounts */
    int64_t total_without_tax, total_tax, total_with_tax; /* minor units, > 0 */
    bl_vat_share vat[BL_MAX_VAT_RATES];                   /* per rate, by first use */
    int nvat;
    json_t *doc; /* normalised operation; caller decrefs */
} bl_operation;

/* Largest quantity of one product line. */
#define BL_MAX_QUANTITY 1000000
/* VAT rates are kept in basis points: 5.5 % → 550; accepted 0..100 %. */
#define BL_MAX_VAT_BP 10000

/* Reads the identity fields: contractId or contractRef (one required),
 * operationType (PURCHASE default, REFUND needs refundOf), order.orderRef,
 * operationAt (a date, or an RFC 3339 timestamp whose date is taken in the
 * process's time zone, and must then be within the years of bp_date_parse),
 * order.currencyCode (optional, ISO 4217). */
bool bl_operation_parse_head(const json_t *req, bl_operation *op, bp_verr *e);

/* Computes the lines and totals for `currency` with `exponent` decimals and
 * builds op->doc. False with the field path in *e on any invalid or
 * disagreeing amount, quantity or VAT rate. */
bool bl_operation_parse_amounts(const json_t *req, const char *currency, int exponent,
                                bl_operation *op, bp_verr *e);

/* The VAT breakdown as JSON, [{"bp":550,"base":1680,"tax":92}, ...] (stored with
 * the operation; invoices add them up). Caller decrefs. */
json_t *bl_operation_vat_json(const bl_operation *op);

/* VAT of `base` minor units at `bp` basis points, rounded half away from zero. */
int64_t bl_vat(int64_t base, int64_t bp);

const char *bl_op_type_name(bl_op_type t);

#endif
