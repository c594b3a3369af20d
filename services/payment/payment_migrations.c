/* payment_migrations: DDL of payment. `payments` holds one row per invoice
 * (UNIQUE invoice_ref: an invoice is never collected twice); `bank_sim_debits`
 * is the simulated bank's own book, one row per end-to-end id (it belongs to
 * the simulation, not to the payment service, and would disappear with a real
 * provider). Never edit an applied migration: add a new one. */
#include "payment_migrations.h"

/* SQL laid out as SQL: not reflowed. */
/* clang-format off */
const bp_migration pm_migrations[] = {
    {"payment-001-payments",
     "CREATE TABLE payments ("
     "  payment_id uuid PRIMARY KEY,"
     "  seq bigserial NOT NULL UNIQUE,"
     "  invoice_ref text NOT NULL UNIQUE,"
     "  contract_id uuid NOT NULL,"
     "  contract_ref text,"
     "  amount_minor bigint NOT NULL CHECK (amount_minor > 0),"
     "  currency char(3) NOT NULL,"
     "  mandate_ref text,"
     "  due_date date,"
     "  status text NOT NULL CHECK (status IN ('PENDING','SUCCEEDED','FAILED')),"
     "  reason_code text,"
     "  reason text,"
     "  request_event_id text NOT NULL,"
     "  created_at timestamptz NOT NULL DEFAULT now(),"
     "  completed_at timestamptz,"
     "  CHECK ((status = 'PENDING') = (completed_at IS NULL)),"
     "  CHECK ((status = 'FAILED') = (reason_code IS NOT NULL)));"
     "CREATE INDEX payments_status ON payments (status, seq);"
     "CREATE INDEX payments_contract ON payments (contract_ref, seq);"},
    {"payment-002-bank-sim",
     "CREATE TABLE bank_sim_debits ("
     "  end_to_end_id text PRIMARY KEY,"
     "  mandate_ref text,"
     "  amount_minor bigint NOT NULL,"
     "  currency char(3) NOT NULL,"
     "  status text NOT NULL CHECK (status IN ('BOOKED','REJECTED')),"
     "  reason_code text,"
     "  reason text,"
     "  processed_at timestamptz NOT NULL DEFAULT now());"},
    {"payment-003-pending-due",
     /* the collector's question: which PENDING payments have fallen due */
     "CREATE INDEX payments_pending_due ON payments (due_date, seq) WHERE status = 'PENDING';"},
    {"payment-004-dunning",
     /* a debit refused AM04 stays PENDING with its next attempt's date (dunning);
        the collector's question then looks at that date first */
     "ALTER TABLE payments"
     "  ADD COLUMN retries int NOT NULL DEFAULT 0 CHECK (retries >= 0),"
     "  ADD COLUMN next_attempt_on date,"
     "  ADD COLUMN last_reason_code text,"
     "  ADD COLUMN last_reason text;"
     "DROP INDEX payments_pending_due;"
     "CREATE INDEX payments_pending_next ON payments ((coalesce(next_attempt_on, due_date)), seq)"
     "  WHERE status = 'PENDING';"},
};
/* clang-format on */
const size_t pm_migrations_count = sizeof pm_migrations / sizeof pm_migrations[0];
