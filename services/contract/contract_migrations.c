/* contract_migrations: DDL of the contract service. The resource document is
 * stored as `json` (text kept as written, field order included); the columns
 * beside it are what queries filter and lock on. Never edit an applied
 * migration: add a new one. */
#include "contract_migrations.h"

/* SQL laid out as SQL: not reflowed. */
/* clang-format off */
const bp_migration ct_migrations[] = {
    {"contract-001-contracts",
     "CREATE TABLE contracts ("
     "  contract_id uuid PRIMARY KEY,"
     "  contract_ref text NOT NULL UNIQUE,"
     "  seq bigserial NOT NULL UNIQUE,"
     "  status text NOT NULL CHECK (status IN"
     "    ('CREATED','ACTIVE','SUSPENDED','CANCELLED','EXPIRED')),"
     "  customer_ref text,"
     "  expire_at date NOT NULL,"
     "  version bigint NOT NULL CHECK (version >= 1),"
     "  mandate_iban text,"
     "  doc json NOT NULL,"
     "  updated_at timestamptz NOT NULL DEFAULT now());"
     "CREATE INDEX contracts_status ON contracts (status, seq);"
     "CREATE INDEX contracts_customer ON contracts (customer_ref, seq);"
     "CREATE INDEX contracts_expiry ON contracts (expire_at)"
     "  WHERE status IN ('CREATED','ACTIVE','SUSPENDED');"},
};
/* clang-format on */
const size_t ct_migrations_count = sizeof ct_migrations / sizeof ct_migrations[0];
