/* mailer_migrations: DDL of the invoice-mailer. `mails` holds one row per
 * invoice (invoice_ref UNIQUE: an invoice is mailed at most once) with the
 * rendered message, sent byte for byte by every attempt, and the delivery
 * state; `mail_attempts` records each SMTP attempt, how far it got and what it
 * proved. Never edit an applied migration: add a new one. */
#include "mailer_migrations.h"

/* SQL laid out as SQL: not reflowed. */
/* clang-format off */
const bp_migration ml_migrations[] = {
    {"mailer-001-mails",
     "CREATE TABLE mails ("
     "  id bigserial PRIMARY KEY,"
     "  invoice_ref text NOT NULL UNIQUE,"
     "  invoice_id text,"
     "  contract_id text NOT NULL,"
     "  contract_ref text,"
     "  customer_ref text,"
     "  recipient text NOT NULL,"
     "  sender text NOT NULL,"
     "  subject text NOT NULL,"
     "  message_id text NOT NULL,"
     "  period text NOT NULL,"
     "  due_date date NOT NULL,"
     "  currency char(3) NOT NULL,"
     "  total_with_tax bigint NOT NULL,"
     "  message text NOT NULL,"
     "  event_id text NOT NULL,"
     "  status text NOT NULL DEFAULT 'PENDING'"
     "    CHECK (status IN ('PENDING', 'SENDING', 'RETRY', 'SENT', 'FAILED')),"
     "  attempts integer NOT NULL DEFAULT 0,"
     "  uncertain_attempts integer NOT NULL DEFAULT 0,"
     "  next_attempt_at timestamptz NOT NULL DEFAULT now(),"
     "  last_attempt_at timestamptz,"
     "  last_error text,"
     "  smtp_reply text,"
     "  sent_at timestamptz,"
     "  created_at timestamptz NOT NULL DEFAULT now(),"
     "  updated_at timestamptz NOT NULL DEFAULT now());"
     "CREATE INDEX mails_due ON mails (next_attempt_at, id)"
     "  WHERE status IN ('PENDING', 'SENDING', 'RETRY');"
     "CREATE INDEX mails_contract ON mails (contract_ref, id);"
     "CREATE INDEX mails_recipient ON mails (lower(recipient), id);"
     "CREATE INDEX mails_status ON mails (status, id);"
     "CREATE TABLE mail_attempts ("
     "  mail_id bigint NOT NULL REFERENCES mails (id),"
     "  attempt integer NOT NULL,"
     "  stage text NOT NULL CHECK (stage IN ('STARTED', 'DATA_SENT')),"
     "  outcome text CHECK (outcome IN"
     "    ('ACCEPTED', 'REFUSED', 'FAILED', 'INTERRUPTED', 'UNCERTAIN')),"
     "  smtp_code integer,"
     "  detail text,"
     "  started_at timestamptz NOT NULL DEFAULT now(),"
     "  data_sent_at timestamptz,"
     "  finished_at timestamptz,"
     "  PRIMARY KEY (mail_id, attempt));"},
};
/* clang-format on */
const size_t ml_migrations_count = sizeof ml_migrations / sizeof ml_migrations[0];
