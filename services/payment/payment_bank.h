/* payment_bank: the bank payment talks to, behind a small interface, so that a
 * real SEPA provider can replace the simulation (payment_bank_sim) without
 * touching the rest of the daemon; and the simulation's pure decision rules.
 *
 * A bank is idempotent by end-to-end id (Boissipay uses the invoiceRef): asked
 * twice about the same id it answers the first answer again and never debits
 * twice. That is what lets the payment service ask again after a crash. */
#ifndef PAYMENT_BANK_H
#define PAYMENT_BANK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The bank's answer to one collection. */
typedef struct {
    bool ok;             /* true: the debit is booked */
    char reason_code[5]; /* SEPA reason code when !ok ("AM04", "MD01", ...), else "" */
    char reason[160];    /* its text when !ok, else "" */
} pm_bank_result;

typedef enum {
    PM_BANK_ANSWERED = 0, /* *result holds the answer (booked or rejected) */
    PM_BANK_UNAVAILABLE,  /* no answer (bank unreachable): ask again later */
} pm_bank_status;

/* A bank: an implementation behind two function pointers. */
typedef struct pm_bank {
    void *impl;
    /* Collects `amount_minor` (> 0) of `currency` under mandate `mandate_ref`,
     * identified by `end_to_end_id`. May block (the bank's processing time).
     * Called from one thread at a time. */
    pm_bank_status (*collect)(void *impl, const char *end_to_end_id, const char *mandate_ref,
                              int64_t amount_minor, const char *currency, pm_bank_result *result);
    /* Frees `impl`. */
    void (*free)(void *impl);
} pm_bank;

/* Calls bank->collect. `result` is cleared first. */
pm_bank_status pm_bank_collect(pm_bank *bank, const char *end_to_end_id, const char *mandate_ref,
                               int64_t amount_minor, const char *currency, pm_bank_result *result)
    __attribute__((warn_unused_result));

/* Frees the implementation and the handle. NULL ignored. */
void pm_bank_free(pm_bank *bank);

/* Fills `result` as a rejection with `code` and its text (pm_sepa_reason_text). */
void pm_bank_result_reject(pm_bank_result *result, const char *code);

/* The English text of a SEPA reason code; a generic sentence for codes not in
 * the table. Never NULL. */
const char *pm_sepa_reason_text(const char *code);

/* --- the simulation's rules (pure) --- */

typedef struct pm_bank_rules pm_bank_rules;

/* Parses BP_BANK_FAIL_MANDATES ("MDT-X:MD01,MDT-Y:AC04,MDT-Z:AM04:2"; empty:
 * none; spaces around items ignored; a code is 4 characters A-Z/0-9; an
 * optional third part N (1..1000) fails only the mandate's first N collections,
 * the later ones are booked) with the
 * BP_BANK_INSUFFICIENT_ABOVE_MINOR threshold (0: never). Returns NULL and writes
 * a message into err on a bad spec. Free with pm_bank_rules_free. */
pm_bank_rules *pm_bank_rules_parse(const char *fail_mandates, int64_t insufficient_above, char *err,
                                   size_t errsize);
void pm_bank_rules_free(pm_bank_rules *rules);

/* The simulated bank's decision, in this order: no mandate → MD01; a mandate
 * listed in the rules → its code (for a rule with N: only while `earlier`, the
 * number of collections the bank already processed on that mandate, is below
 * N); amount above the threshold (when > 0) → AM04; otherwise booked. */
void pm_bank_rules_decide(const pm_bank_rules *rules, const char *mandate_ref, int64_t amount_minor,
                          int64_t earlier, pm_bank_result *result);

#endif
