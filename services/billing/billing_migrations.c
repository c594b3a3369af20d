/* billing_migrations: DDL of billing. `accounts` is the read model of
 * contracts (one row per contract, the highest version seen) plus billing's own
 * running balance; `operations` holds every purchase and refund, accepted or
 * rejected. Never edit an applied migration: add a new one. */
#include "billing_migrations.h"

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
};
const size_t bl_migrations_count = sizeof bl_migrations / sizeof bl_migrations[0];
