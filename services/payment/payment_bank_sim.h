/* payment_bank_sim: the simulated SEPA bank. Deterministic, configured by
 * environment (payment_config): listed mandates fail with their code, amounts
 * above a threshold fail AM04, everything else is booked. It behaves like a
 * provider that de-duplicates on the end-to-end id: its own table
 * `bank_sim_debits` (in the payment database, on its own connection) keeps one
 * row per end-to-end id, and a repeated question gets the stored answer at
 * once. A new collection is booked immediately and answered after the
 * processing delay, so a crash during the delay leaves a booked debit whose
 * answer the payment service never heard: asking again must not debit twice. */
#ifndef PAYMENT_BANK_SIM_H
#define PAYMENT_BANK_SIM_H

#include "payment_bank.h"

/* A simulated bank storing its debits through `database_url`, deciding with
 * `rules` (takes ownership, also on failure) and answering new collections
 * after `delay_ms`. Does not connect until the first collection. NULL when out
 * of memory. Free with pm_bank_free. One per thread that collects (the consumer,
 * the collector): its connection is its own. */
pm_bank *pm_bank_sim_new(const char *database_url, pm_bank_rules *rules, int delay_ms);

#endif
