/* billing_migrations: DDL of billing. `accounts` is the read model of
 * contracts (one row per contract, the highest version seen) plus billing's own
 * running balance; `operations` holds every purchase and refund, accepted or
 * rejected. Never edit an applied migration: add a new one. */
#include "billing_migrations.h"

/* SQL laid out as SQL: not reflowed. */
/* clang-format off */
const bp_migration bl_migrations[] = {
    {"billing-001-accounts",
     "CREATE TABLE accounts ("
     "  contract_id uuid PRIMARY KEY,"
     "  contract_ref text NOT NULL UNIQUE,"
     "  customer_ref text,"
     "  status text NOT NULL,"
     "  activated_at date NOT NULL,"
     "  expire_at date NOT NULL,"
     "  mandate_ref text,"
     "  mandate_status text,"
     "  mandate_signed_at date,"
     "  mandate_expire_at date,"
     "  currency char(3) NOT NULL,"
     "  credit_limit bigint NOT NULL CHECK (credit_limit >= 0),"
     "  payment_term_days integer NOT NULL,"
     "  invoice_email text,"
     "  outstanding bigint NOT NULL DEFAULT 0,"
     "  version bigint NOT NULL,"
     "  updated_at timestamptz NOT NULL DEFAULT now());"},
    {"billing-002-operations",
     "CREATE TABLE operations ("
     "  operation_id uuid PRIMARY KEY,"
     "  seq bigserial NOT NULL UNIQUE,"
     "  contract_id uuid,"
     "  contract_ref text,"
     "  order_ref text NOT NULL,"
     "  operation_type text NOT NULL CHECK (operation_type IN ('PURCHASE','REFUND')),"
     "  refund_of text,"
     "  status text NOT NULL CHECK (status IN ('ACCEPTED','REJECTED')),"
     "  reason text,"
     "  currency char(3),"
     "  amount bigint NOT NULL CHECK (amount > 0),"
     "  refunded bigint NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),"
     "  operation_at timestamptz NOT NULL,"
     "  operation_date date NOT NULL,"
     "  invoice_ref text,"
     "  request_hash bytea NOT NULL,"
     "  doc json NOT NULL,"
     "  created_at timestamptz NOT NULL DEFAULT now());"
     "CREATE UNIQUE INDEX operations_order ON operations (contract_id, operation_type, order_ref)"
     "  WHERE status = 'ACCEPTED';"
     "CREATE INDEX operations_contract ON operations (contract_ref, seq);"
     "CREATE INDEX operations_status ON operations (status, seq);"
     "CREATE INDEX operations_invoice ON operations (invoice_ref) WHERE invoice_ref IS NOT NULL;"},
    {"billing-003-invoices",
     "ALTER TABLE operations ADD COLUMN amount_without_tax bigint NOT NULL DEFAULT 0,"
     "  ADD COLUMN amount_tax bigint NOT NULL DEFAULT 0,"
     "  ADD COLUMN vat json NOT NULL DEFAULT '[]';"
     "CREATE INDEX operations_uninvoiced ON operations (contract_id, operation_date)"
     "  WHERE invoice_ref IS NULL AND status = 'ACCEPTED';"
     "CREATE TABLE invoice_counters (year integer PRIMARY KEY, last bigint NOT NULL);"
     "CREATE TABLE billing_runs ("
     "  run_id uuid PRIMARY KEY,"
     "  seq bigserial NOT NULL UNIQUE,"
     "  period text NOT NULL,"
     "  dry_run boolean NOT NULL,"
     "  trigger text NOT NULL,"
     "  status text NOT NULL CHECK (status IN ('RUNNING','COMPLETED','INTERRUPTED','FAILED')),"
     "  contracts integer NOT NULL DEFAULT 0,"
     "  invoices_issued integer NOT NULL DEFAULT 0,"
     "  already_invoiced integer NOT NULL DEFAULT 0,"
     "  failed integer NOT NULL DEFAULT 0,"
     "  started_at timestamptz NOT NULL DEFAULT now(),"
     "  finished_at timestamptz);"
     "CREATE TABLE invoices ("
     "  invoice_id uuid PRIMARY KEY,"
     "  invoice_ref text NOT NULL UNIQUE,"
     "  seq bigserial NOT NULL UNIQUE,"
     "  contract_id uuid NOT NULL,"
     "  contract_ref text NOT NULL,"
     "  period text NOT NULL,"
     "  issue_date date NOT NULL,"
     "  due_date date NOT NULL,"
     "  currency char(3) NOT NULL,"
     "  total_with_tax bigint NOT NULL,"
     "  status text NOT NULL CHECK (status IN ('ISSUED','SENT','PAID','PAYMENT_FAILED')),"
     "  sent_at timestamptz,"
     "  paid_at timestamptz,"
     "  payment_failure json,"
     "  run_id uuid,"
     "  doc json NOT NULL,"
     "  UNIQUE (contract_id, period));"
     "CREATE INDEX invoices_contract ON invoices (contract_ref, seq);"
     "CREATE INDEX invoices_period ON invoices (period, seq);"},
    /* A run sets invoice_ref on every billed operation. With no index on that
     * column (nor in an index predicate) and room left in each page, those are
     * HOT updates: no index is touched, four times faster. Lookups by invoice go
     * through the invoice's contract first. */
    {"billing-004-hot-invoicing",
     "DROP INDEX operations_invoice;"
     "DROP INDEX operations_uninvoiced;"
     "CREATE INDEX operations_accepted ON operations (contract_id, operation_date)"
     "  WHERE status = 'ACCEPTED';"
     "ALTER TABLE operations SET (fillfactor = 70);"},
    /* An invoice document holds every line: LZ4 compresses it several times
     * faster than the default pglz, where the server has it. */
    {"billing-005-invoice-doc-lz4",
     "DO $$ BEGIN"
     "  ALTER TABLE invoices ALTER COLUMN doc SET COMPRESSION lz4;"
     " EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN NULL;"
     " END $$;"},
    /* Dunning: an account whose invoice finally failed is overdue until paid;
       the AUTHORIZE statement refuses purchases while overdue_since is set. */
    {"billing-006-overdue",
     "ALTER TABLE accounts ADD COLUMN overdue_since timestamptz,"
     "  ADD COLUMN overdue_invoice_ref text;"},
};
/* clang-format on */
const size_t bl_migrations_count = sizeof bl_migrations / sizeof bl_migrations[0];
