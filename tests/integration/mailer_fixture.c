/* mailer_fixture: the mailer, a real SMTP sink and their test helpers. Test-only. */
#include "mailer_fixture.h"

#include "bpt_pdf.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
    fprintf(stderr, "mailer_fixture: %s\n", what);
    abort();
}

static void path_in(const mlf_sink *s, const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", s->dir, name);
}

void mlf_sink_start(mlf_sink *s, const char *where, int port, bool wipe)
{
    char dir[sizeof s->dir];
    snprintf(dir, sizeof dir, "%s", where); /* `where` may be s->dir itself */
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    s->port = port;
    if (wipe)
        bpt_sh("rm -rf '%s'", dir);
    bpt_sh("mkdir -p '%s' && rm -f '%s/ready'", dir, dir);
    char script[600], portarg[16], log[600];
    snprintf(script, sizeof script, "%s/tests/support/smtp_sink.py", bpt_env("BPT_SOURCE_DIR"));
    snprintf(portarg, sizeof portarg, "%d", port);
    snprintf(log, sizeof log, "%s.log", dir);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        FILE *f = freopen(log, "a", stdout);
        if (f == NULL || dup2(STDOUT_FILENO, STDERR_FILENO) < 0)
            _exit(127);
        const char *argv[24] = {"python3", script, "--port", portarg, "--dir", dir, "--ready-file"};
        for (int i = 0; i < 8 && s->args[i] != NULL; i++)
            argv[7 + i] = s->args[i];
        execv("/usr/bin/python3", (char *const *)argv);
        _exit(127);
    }
    s->pid = pid;
    if (!mlf_sink_wait_file(s, "ready", 15000)) {
        bpt_sh("tail -20 '%s' >&2", log);
        die("the SMTP sink did not start (is python3-aiosmtpd installed?)");
    }
}

void mlf_sink_stop(mlf_sink *s)
{
    if (s->pid <= 0)
        return;
    kill(s->pid, SIGTERM);
    int status = 0;
    waitpid(s->pid, &status, 0);
    s->pid = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("the SMTP sink did not exit cleanly");
}

void mlf_sink_flag(mlf_sink *s, const char *name, const char *content)
{
    char path[700], tmp[720];
    path_in(s, name, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        die("cannot write a flag file");
    if (content != NULL)
        fputs(content, f);
    fclose(f);
    rename(tmp, path);
}

void mlf_sink_unflag(mlf_sink *s, const char *name)
{
    char path[700];
    path_in(s, name, path, sizeof path);
    unlink(path);
}

bool mlf_sink_wait_file(mlf_sink *s, const char *name, int timeout_ms)
{
    char path[700];
    path_in(s, name, path, sizeof path);
    for (int waited = 0; waited < timeout_ms; waited += 50) {
        if (access(path, F_OK) == 0)
            return true;
        bpt_sleep_ms(50);
    }
    return false;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    size_t got = fread(buf, 1, (size_t)len, f);
    buf[got] = '\0';
    fclose(f);
    return buf;
}

/* Value of header `name` (up to CRLF) in `head` into buf; "" when absent. */
static void header(const char *head, const char *name, char *buf, size_t size)
{
    buf[0] = '\0';
    char needle[64];
    snprintf(needle, sizeof needle, "\n%s: ", name);
    const char *at = strstr(head, needle);
    if (at == NULL)
        return;
    at += strlen(needle);
    size_t n = strcspn(at, "\r\n");
    snprintf(buf, size, "%.*s", (int)n, at);
}

/* The decoded body of the part of type `type`; "" when there is none. */
static char *part(const char *raw, const char *boundary, const char *type)
{
    char head[300];
    snprintf(head, sizeof head, "--%s\r\nContent-Type: %s;", boundary, type);
    const char *at = strstr(raw, head);
    const char *body = at ? strstr(at, "\r\n\r\n") : NULL;
    if (body == NULL)
        return strdup("");
    body += 4;
    char delim[300];
    snprintf(delim, sizeof delim, "\r\n--%s", boundary);
    const char *end = strstr(body, delim);
    return bpt_qp_decode(body, end ? (size_t)(end - body) + 2 : strlen(body));
}

/* The boundary="..." value that follows `at` (a Content-Type) into buf. */
static void boundary_of(const char *at, char *buf, size_t size)
{
    buf[0] = '\0';
    const char *b = at ? strstr(at, "boundary=\"") : NULL;
    if (b != NULL)
        snprintf(buf, size, "%.*s", (int)strcspn(b + 10, "\""), b + 10);
}

/* The application/pdf part of the multipart/mixed body with `boundary`, decoded. */
static void attachment(mlf_mail *m, const char *boundary)
{
    char head[300];
    snprintf(head, sizeof head, "--%s\r\nContent-Type: application/pdf;", boundary);
    const char *at = strstr(m->raw, head);
    const char *body = at ? strstr(at, "\r\n\r\n") : NULL;
    if (body == NULL)
        return;
    const char *fn = strstr(at, "filename=\"");
    if (fn != NULL && fn < body)
        snprintf(m->pdf_name, sizeof m->pdf_name, "%.*s", (int)strcspn(fn + 10, "\""), fn + 10);
    body += 4;
    char delim[300];
    snprintf(delim, sizeof delim, "\r\n--%s", boundary);
    const char *end = strstr(body, delim);
    m->pdf = bpt_base64_decode(body, end ? (size_t)(end - body) : strlen(body), &m->pdf_len);
}

static void parse_mail(mlf_mail *m)
{
    const char *head = m->raw;
    header(head, "X-Envelope-To", m->envelope_to, sizeof m->envelope_to);
    header(head, "Message-ID", m->message_id, sizeof m->message_id);
    header(head, "Subject", m->subject, sizeof m->subject);
    char ctype[300], boundary[200] = "";
    header(head, "Content-Type", ctype, sizeof ctype);
    if (strncmp(ctype, "multipart/mixed;", 16) == 0) { /* with the PDF */
        char mixed[200];
        boundary_of(ctype, mixed, sizeof mixed);
        attachment(m, mixed);
        boundary_of(strstr(m->raw, "Content-Type: multipart/alternative;"), boundary,
                    sizeof boundary);
    } else {
        boundary_of(ctype, boundary, sizeof boundary);
    }
    m->text = part(m->raw, boundary, "text/plain");
    m->html = part(m->raw, boundary, "text/html");
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const mlf_mail *)a)->file, ((const mlf_mail *)b)->file);
}

mlf_mail *mlf_mails(mlf_sink *s, int *n)
{
    *n = 0;
    DIR *d = opendir(s->dir);
    if (d == NULL)
        return NULL;
    int cap = 16;
    mlf_mail *out = calloc((size_t)cap, sizeof *out);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, "mail-", 5) != 0 || len < 4 || strcmp(e->d_name + len - 4, ".eml"))
            continue;
        if (*n == cap) {
            cap *= 2;
            out = realloc(out, (size_t)cap * sizeof *out);
        }
        mlf_mail *m = &out[(*n)++];
        memset(m, 0, sizeof *m);
        snprintf(m->file, sizeof m->file, "%s/%s", s->dir, e->d_name);
    }
    closedir(d);
    qsort(out, (size_t)*n, sizeof *out, by_name);
    for (int i = 0; i < *n; i++) {
        out[i].raw = slurp(out[i].file);
        if (out[i].raw == NULL)
            out[i].raw = strdup("");
        parse_mail(&out[i]);
    }
    return out;
}

void mlf_mails_free(mlf_mail *m, int n)
{
    for (int i = 0; i < n; i++) {
        free(m[i].raw);
        free(m[i].text);
        free(m[i].html);
        free(m[i].pdf);
    }
    free(m);
}

int mlf_count(mlf_sink *s, const char *invoice_ref)
{
    char want[160];
    snprintf(want, sizeof want, "<%s@boissipay>", invoice_ref);
    int n = 0, count = 0;
    mlf_mail *m = mlf_mails(s, &n);
    for (int i = 0; i < n; i++)
        count += strcmp(m[i].message_id, want) == 0;
    mlf_mails_free(m, n);
    return count;
}

bool mlf_wait_count(mlf_sink *s, const char *invoice_ref, int n, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 100) {
        if (mlf_count(s, invoice_ref) >= n)
            return true;
        bpt_sleep_ms(100);
    }
    return false;
}

void mlf_start(mlf_stack *st, const char *name, const char *const *extra)
{
    mlf_start_with(st, name, extra, NULL);
}

void mlf_start_with(mlf_stack *st, const char *name, const char *const *extra,
                    const char *const *sink_args)
{
    memset(st, 0, sizeof *st);
    for (int i = 0; i < 7 && sink_args != NULL && sink_args[i] != NULL; i++)
        st->sink.args[i] = sink_args[i];
    snprintf(st->name, sizeof st->name, "%s", name);
    bpt_db_create(name, st->db, sizeof st->db);
    snprintf(st->invoice_topic, sizeof st->invoice_topic, "%s.invoice", name);
    snprintf(st->dead_letter_topic, sizeof st->dead_letter_topic, "%s.dead-letter", name);
    bpt_topic_create(st->invoice_topic, 3);
    bpt_topic_create(st->dead_letter_topic, 1);
    char dir[600];
    snprintf(dir, sizeof dir, "%s/%s-smtp", bpt_env("BPT_STATE_DIR"), name);
    mlf_sink_start(&st->sink, dir, bpt_free_port(), true);
    char env[8][700];
    snprintf(env[0], sizeof env[0], "BP_DATABASE_URL=%s", st->db);
    snprintf(env[1], sizeof env[1], "BP_KAFKA_BROKERS=%s", bpt_env("BPT_KAFKA"));
    snprintf(env[2], sizeof env[2], "BP_TOPIC_INVOICE=%s", st->invoice_topic);
    snprintf(env[3], sizeof env[3], "BP_TOPIC_DEAD_LETTER=%s", st->dead_letter_topic);
    snprintf(env[4], sizeof env[4], "BP_CONSUMER_GROUP=mailer-%s", name);
    snprintf(env[5], sizeof env[5], "BP_SMTP_URL=smtp://127.0.0.1:%d", st->sink.port);
    const char *base[] = {env[0],
                          env[1],
                          env[2],
                          env[3],
                          env[4],
                          env[5],
                          "BP_API_KEYS=" BPT_API_KEY ":rw," BPT_READ_KEY ":r",
                          "BP_OUTBOX_POLL_MS=200",
                          "BP_SHUTDOWN_GRACE_SECONDS=2",
                          "BP_HTTP_ACCESS_LOG=false",
                          "BP_SMTP_RETRY_MIN_MS=200",
                          "BP_SMTP_RETRY_MAX_MS=1000",
                          "BP_SMTP_POLL_MS=100",
                          "BP_SMTP_CONNECT_TIMEOUT_SECONDS=2",
                          "BP_SMTP_TIMEOUT_SECONDS=20"};
    size_t nbase = sizeof base / sizeof base[0], nextra = 0;
    while (extra != NULL && extra[nextra] != NULL)
        nextra++;
    const char **all = calloc(nbase + nextra + 1, sizeof *all);
    memcpy(all, base, sizeof base);
    for (size_t i = 0; i < nextra; i++)
        all[nbase + i] = extra[i];
    char pname[96];
    snprintf(pname, sizeof pname, "%s-mailer", name);
    bpt_proc_start(&st->mailer, pname, "services/invoice-mailer/boissipay-invoice-mailer",
                   bpt_free_port(), all);
    free(all);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/ready", st->mailer.port);
    if (!bpt_wait_status(url, 200, 30000)) {
        fprintf(stderr, "mailer not ready; log in %s\n", st->mailer.log_path);
        abort();
    }
}

void mlf_stop(mlf_stack *st)
{
    int rc = bpt_proc_stop(&st->mailer, SIGTERM);
    bpt_proc_free(&st->mailer);
    mlf_sink_stop(&st->sink);
    if (rc != 0) {
        fprintf(stderr, "unclean exit of the mailer: %d (log %s)\n", rc, st->mailer.log_path);
        abort();
    }
}

static void new_uuid(char *buf)
{
    FILE *f = fopen("/proc/sys/kernel/random/uuid", "r");
    if (f == NULL || fgets(buf, 37, f) == NULL)
        die("no uuid");
    fclose(f);
}

char *mlf_invoice_event(const char *event_id, const char *invoice_ref, const char *email,
                        const char *contract_ref)
{
    char id[40];
    if (event_id == NULL) {
        new_uuid(id);
        event_id = id;
    }
#define EUR(a, m) "{s:s, s:s, s:i}", "amount", a, "currency", "EUR", "minorUnits", m
    json_t *data = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o,"
        " s:[{s:f, s:o, s:o}, {s:i, s:o, s:o}],"
        " s:[{s:s, s:s, s:s, s:s, s:o, s:o, s:o}],"
        " s:s, s:s, s:s}",
        "invoiceRef", invoice_ref, "invoiceId", "6f1c1c70-8d0e-4d52-9b43-0c1d2e3f4a5b",
        "contractId", MLF_CONTRACT_ID, "contractRef", contract_ref, "customerRef", "ACME & Co",
        "period", "2026-10", "issueDate", "2026-11-01", "dueDate", "2026-12-01", "currency", "EUR",
        "totalWithoutTax", json_pack(EUR("19.60", 1960)), "totalTax", json_pack(EUR("1.48", 148)),
        "totalWithTax", json_pack(EUR("21.08", 2108)), "vatBreakdown", "vatRate", 5.5, "base",
        json_pack(EUR("16.80", 1680)), "tax", json_pack(EUR("0.92", 92)), "vatRate", 20, "base",
        json_pack(EUR("2.80", 280)), "tax", json_pack(EUR("0.56", 56)), "lines", "operationId",
        "9b2f6c1e-1111-4c55-9d0e-5a1b2c3d4e5f", "orderRef", "ORD-<1>", "operationType", "PURCHASE",
        "operationDate", "2026-10-12", "amountWithoutTax", json_pack(EUR("19.60", 1960)),
        "amountTax", json_pack(EUR("1.48", 148)), "amountWithTax", json_pack(EUR("21.08", 2108)),
        "invoiceEmail", email, "mandateReference", "MDT-ACME-001", "status", "ISSUED");
#undef EUR
    json_t *event = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "specversion", "1.0",
                              "id", event_id, "source", "/boissipay/billing", "type",
                              "invoice.issued", "time", "2026-11-01T00:05:00.000Z", "subject",
                              invoice_ref, "datacontenttype", "application/json", "data", data);
    if (event == NULL)
        die("cannot build the event");
    char *text = json_dumps(event, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(event);
    return text;
}

void mlf_issue(mlf_stack *st, const char *invoice_ref, const char *email, const char *contract_ref)
{
    char *event = mlf_invoice_event(NULL, invoice_ref, email, contract_ref);
    bpt_produce(st->invoice_topic, MLF_CONTRACT_ID, event);
    free(event);
}

json_t *mlf_mail_doc(mlf_stack *st, const char *invoice_ref)
{
    char path[256];
    snprintf(path, sizeof path, "/mails/%s", invoice_ref);
    bpt_resp r = bpt_http("GET", st->mailer.port, path, BPT_READ_KEY, NULL, NULL);
    json_t *doc = r.status == 200 ? json_incref(r.json) : NULL;
    bpt_resp_free(&r);
    return doc;
}

bool mlf_wait_status(mlf_stack *st, const char *invoice_ref, const char *status, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 100) {
        json_t *doc = mlf_mail_doc(st, invoice_ref);
        const char *s = json_string_value(json_object_get(doc, "status"));
        bool done = s != NULL && strcmp(s, status) == 0;
        json_decref(doc);
        if (done)
            return true;
        bpt_sleep_ms(100);
    }
    return false;
}

json_t *mlf_sent_events(mlf_stack *st, const char *invoice_ref)
{
    static const char *const sent[] = {"invoice.sent", NULL};
    return bpt_events_of(st->invoice_topic, sent, invoice_ref);
}
