/* bpt: integration-test helpers (processes, HTTP, SQL, Kafka). Test-only code. */
#include "bpt.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bpt: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

const char *bpt_env(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0')
        die("%s is not set: run integration tests through ctest", name);
    return v;
}

void bpt_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int bpt_sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* ---------- PostgreSQL ---------- */

static PGconn *pg_connect(const char *url)
{
    PGconn *c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK)
        die("cannot connect to %s: %s", url, PQerrorMessage(c));
    return c;
}

static void pg_exec(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        die("SQL failed: %s: %s", sql, PQerrorMessage(c));
    PQclear(r);
}

void bpt_db_create(const char *name, char *url, size_t size)
{
    PGconn *c = pg_connect(bpt_env("BPT_PG_ADMIN_URL"));
    char sql[256];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name);
    pg_exec(c, sql);
    snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", name);
    pg_exec(c, sql);
    PQfinish(c);
    const char *admin = bpt_env("BPT_PG_ADMIN_URL");
    const char *slash = strrchr(admin, '/');
    snprintf(url, size, "%.*s/%s", (int)(slash - admin), admin, name);
}

char *bpt_sql(const char *url, const char *sql)
{
    PGconn *c = pg_connect(url);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        die("SQL failed: %s: %s", sql, PQerrorMessage(c));
    char *out = PQntuples(r) > 0 ? strdup(PQgetvalue(r, 0, 0)) : NULL;
    PQclear(r);
    PQfinish(c);
    return out;
}

long bpt_sql_long(const char *url, const char *sql)
{
    char *v = bpt_sql(url, sql);
    long n = v ? atol(v) : 0;
    free(v);
    return n;
}

/* ---------- Kafka ---------- */

void bpt_topic_create(const char *topic, int partitions)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bpt_env("BPT_KAFKA"), err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (rk == NULL)
        die("kafka: %s", err);
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, 1, err, sizeof err);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
    if (ev == NULL)
        die("kafka: CreateTopics timed out");
    const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
    size_t n = 0;
    const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(res, &n);
    for (size_t i = 0; i < n; i++) {
        rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
            die("kafka: creating %s: %s", topic, rd_kafka_err2str(e));
    }
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_destroy(rk);
}

json_t *bpt_consume_all(const char *topic, int idle_ms)
{
    char err[256], group[64];
    snprintf(group, sizeof group, "bpt-%d-%ld", (int)getpid(), (long)time(NULL) ^ random());
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bpt_env("BPT_KAFKA"), err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", group, err, sizeof err);
    rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, sizeof err);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (rk == NULL)
        die("kafka: %s", err);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *t = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(t, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk, t);
    rd_kafka_topic_partition_list_destroy(t);
    json_t *out = json_array();
    int idle = 0;
    bool assigned = false;
    int waited_assign = 0;
    while (idle < idle_ms) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (m == NULL || m->err) {
            if (m)
                rd_kafka_message_destroy(m);
            if (!assigned) {
                rd_kafka_topic_partition_list_t *a = NULL;
                rd_kafka_assignment(rk, &a);
                assigned = a && a->cnt > 0;
                if (a)
                    rd_kafka_topic_partition_list_destroy(a);
                waited_assign += 100;
                if (waited_assign > 20000)
                    die("kafka: no partition of %s assigned", topic);
                continue;
            }
            idle += 100;
            continue;
        }
        idle = 0;
        json_t *value = json_loadb(m->payload, m->len, JSON_ALLOW_NUL, NULL);
        json_t *headers = json_object();
        rd_kafka_headers_t *hdrs = NULL;
        if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            const char *name;
            const void *v;
            size_t len;
            for (size_t i = 0;
                 rd_kafka_header_get_all(hdrs, i, &name, &v, &len) == RD_KAFKA_RESP_ERR_NO_ERROR;
                 i++)
                json_object_set_new(headers, name, json_stringn(v ? v : "", v ? len : 0));
        }
        json_array_append_new(
            out, json_pack("{s:s%, s:i, s:I, s:o*, s:o}", "key", m->key ? (char *)m->key : "",
                           m->key ? m->key_len : 0, "partition", (int)m->partition, "offset",
                           (json_int_t)m->offset, "value", value, "headers", headers));
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return out;
}

void bpt_produce(const char *topic, const char *key, const char *value)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bpt_env("BPT_KAFKA"), err, sizeof err);
    rd_kafka_conf_set(conf, "acks", "all", err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (rk == NULL)
        die("kafka: %s", err);
    rd_kafka_resp_err_t e =
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)),
                          RD_KAFKA_V_VALUE((void *)value, strlen(value)),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR || rd_kafka_flush(rk, 15000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        die("kafka: producing to %s failed", topic);
    rd_kafka_destroy(rk);
}

/* ---------- processes ---------- */

int bpt_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        die("no free port");
    int port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static void proc_spawn(bpt_proc *p)
{
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* an aborted test leaves no daemon behind */
        FILE *f = freopen(p->log_path, "a", stdout);
        if (f == NULL || dup2(STDOUT_FILENO, STDERR_FILENO) < 0)
            _exit(127);
        for (size_t i = 0; p->env[i] != NULL; i++)
            putenv(p->env[i]);
        execl(p->binary, p->binary, (char *)NULL);
        _exit(127);
    }
    p->pid = pid;
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/health", p->port);
    if (!bpt_wait_status(url, 200, 15000)) {
        bpt_sh("tail -20 '%s' >&2", p->log_path);
        die("%s did not answer /health on port %d", p->binary, p->port);
    }
}

void bpt_proc_start(bpt_proc *p, const char *name, const char *binary, int port,
                    const char *const *env)
{
    memset(p, 0, sizeof *p);
    p->port = port;
    snprintf(p->binary, sizeof p->binary, "%s/%s", bpt_env("BPT_BIN_DIR"), binary);
    snprintf(p->log_path, sizeof p->log_path, "%s/%s.log", bpt_env("BPT_STATE_DIR"), name);
    size_t n = 0;
    while (env[n] != NULL)
        n++;
    p->env = calloc(n + 2, sizeof *p->env);
    for (size_t i = 0; i < n; i++)
        p->env[i] = strdup(env[i]);
    char portenv[32];
    snprintf(portenv, sizeof portenv, "BP_HTTP_PORT=%d", port);
    p->env[n] = strdup(portenv);
    FILE *f = fopen(p->log_path, "w");
    if (f)
        fclose(f);
    proc_spawn(p);
}

void bpt_proc_restart(bpt_proc *p) { proc_spawn(p); }

void bpt_proc_setenv(bpt_proc *p, const char *kv)
{
    size_t name_len = strcspn(kv, "=");
    size_t n = 0;
    for (; p->env[n] != NULL; n++) {
        if (strncmp(p->env[n], kv, name_len + 1) == 0) {
            free(p->env[n]);
            p->env[n] = strdup(kv);
            return;
        }
    }
    char **grown = realloc(p->env, (n + 2) * sizeof *grown);
    if (grown == NULL)
        die("out of memory");
    p->env = grown;
    p->env[n] = strdup(kv);
    p->env[n + 1] = NULL;
}

int bpt_proc_stop(bpt_proc *p, int sig)
{
    if (p->pid <= 0)
        return -1;
    kill(p->pid, sig);
    int status = 0;
    for (int waited = 0; waited < 10000; waited += 50) {
        if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
            p->pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        bpt_sleep_ms(50);
    }
    kill(p->pid, SIGKILL);
    waitpid(p->pid, &status, 0);
    p->pid = 0;
    return 128 + SIGKILL;
}

void bpt_proc_free(bpt_proc *p)
{
    if (p->pid > 0)
        bpt_proc_stop(p, SIGKILL);
    for (size_t i = 0; p->env && p->env[i]; i++)
        free(p->env[i]);
    free(p->env);
    p->env = NULL;
}

/* ---------- HTTP ---------- */

typedef struct {
    char *data;
    size_t len;
} buf;

static size_t on_body(char *ptr, size_t size, size_t n, void *arg)
{
    buf *b = arg;
    char *nd = realloc(b->data, b->len + size * n + 1);
    if (nd == NULL)
        return 0;
    memcpy(nd + b->len, ptr, size * n);
    b->data = nd;
    b->len += size * n;
    b->data[b->len] = '\0';
    return size * n;
}

/* Copies the value of header line `ptr` into out when its name is `name` ("Location: "). */
static void header_value(const char *ptr, size_t len, const char *name, char *out, size_t size)
{
    size_t nl = strlen(name);
    if (len <= nl || strncasecmp(ptr, name, nl) != 0)
        return;
    size_t v = len - nl;
    while (v > 0 && (ptr[nl + v - 1] == '\r' || ptr[nl + v - 1] == '\n'))
        v--;
    snprintf(out, size, "%.*s", (int)v, ptr + nl);
}

static size_t on_header(char *ptr, size_t size, size_t n, void *arg)
{
    bpt_resp *r = arg;
    size_t len = size * n;
    header_value(ptr, len, "Location: ", r->location, sizeof r->location);
    header_value(ptr, len, "Content-Type: ", r->content_type, sizeof r->content_type);
    header_value(ptr, len, "Content-Disposition: ", r->content_disposition,
                 sizeof r->content_disposition);
    return len;
}

bpt_resp bpt_http(const char *method, int port, const char *path, const char *key, const char *body,
                  const char *extra_header)
{
    bpt_resp r = {0};
    CURL *c = curl_easy_init();
    char url[1024], auth[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    struct curl_slist *h = NULL;
    if (key != NULL) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
        h = curl_slist_append(h, auth);
    }
    if (body != NULL && (extra_header == NULL || strncasecmp(extra_header, "Content-Type:", 13)))
        h = curl_slist_append(h, "Content-Type: application/json");
    if (extra_header != NULL)
        h = curl_slist_append(h, extra_header);
    h = curl_slist_append(h, "Expect:");
    buf b = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    else
        r.status = -1;
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    r.body = b.data ? b.data : strdup("");
    r.body_len = b.data ? b.len : 0;
    r.json = json_loads(r.body, JSON_ALLOW_NUL, NULL);
    if (r.json != NULL)
        bpt_money_walk(r.json); /* every amount any daemon answers is a Money object */
    return r;
}

void bpt_resp_free(bpt_resp *r)
{
    json_decref(r->json);
    free(r->body);
    r->json = NULL;
    r->body = NULL;
}

const char *bpt_error_code(const bpt_resp *r)
{
    const char *c = json_string_value(
        json_object_get(json_array_get(json_object_get(r->json, "errors"), 0), "errorCode"));
    return c ? c : "";
}

bool bpt_wait_status(const char *url, int status, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 100) {
        CURL *c = curl_easy_init();
        buf b = {0};
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
        long code = 0;
        if (curl_easy_perform(c) == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_cleanup(c);
        free(b.data);
        if (code == status)
            return true;
        bpt_sleep_ms(100);
    }
    return false;
}

/* ---------- raw HTTP ---------- */

long long bpt_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

long long bpt_now_ms(void) { return bpt_now_us() / 1000; }

int bpt_raw_connect(const char *source, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in src = {.sin_family = AF_INET}, dst = {.sin_family = AF_INET};
    inet_pton(AF_INET, source, &src.sin_addr);
    inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
    dst.sin_port = htons((uint16_t)port);
    if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof src) != 0 ||
        connect(fd, (struct sockaddr *)&dst, sizeof dst) != 0) {
        fprintf(stderr, "bpt_raw_connect %s -> %d: %s\n", source, port, strerror(errno));
        abort();
    }
    return fd;
}

bool bpt_raw_send(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* Reads what is there within the time left; -1 on timeout, 0 at the end. */
static ssize_t raw_recv(int fd, char *rb, size_t size, long long deadline_ms)
{
    long long left = deadline_ms - bpt_now_ms();
    if (left <= 0)
        return -1;
    struct timeval tv = {.tv_sec = left / 1000, .tv_usec = (left % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t n = recv(fd, rb, size, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return -1;
    return n < 0 ? 0 : n;
}

int bpt_raw_read(int fd, int timeout_ms, char *ctype, size_t ctype_size, char **body)
{
    long long deadline = bpt_now_ms() + timeout_ms;
    size_t cap = 65536, len = 0;
    char *rb = malloc(cap + 1);
    char *head_end = NULL;
    long content_length = -1;
    *body = NULL;
    if (ctype_size > 0)
        ctype[0] = '\0';
    for (;;) {
        if (head_end != NULL && content_length >= 0 &&
            len - (size_t)(head_end + 4 - rb) >= (size_t)content_length)
            break;
        if (len == cap) {
            cap *= 2;
            rb = realloc(rb, cap + 1);
            head_end = NULL;
        }
        ssize_t n = raw_recv(fd, rb + len, cap - len, deadline);
        if (n <= 0) {
            if (n < 0 || head_end == NULL) {
                free(rb);
                return 0;
            }
            break; /* closed after the body */
        }
        len += (size_t)n;
        rb[len] = '\0';
        if (head_end == NULL && (head_end = strstr(rb, "\r\n\r\n")) != NULL) {
            const char *cl = strcasestr(rb, "\r\nContent-Length:");
            content_length = cl != NULL && cl < head_end ? strtol(cl + 17, NULL, 10) : -1;
            const char *ct = strcasestr(rb, "\r\nContent-Type:");
            if (ct != NULL && ct < head_end && ctype_size > 0) {
                ct += 15;
                while (*ct == ' ')
                    ct++;
                size_t n2 = strcspn(ct, "\r");
                snprintf(ctype, ctype_size, "%.*s", (int)n2, ct);
            }
        }
    }
    int status = 0;
    if (sscanf(rb, "HTTP/1.%*d %d", &status) != 1)
        status = 0;
    *body = strdup(head_end + 4);
    free(rb);
    return status;
}

bool bpt_raw_closed(int fd, int timeout_ms)
{
    long long deadline = bpt_now_ms() + timeout_ms;
    char rb[4096];
    for (;;) {
        ssize_t n = raw_recv(fd, rb, sizeof rb, deadline);
        if (n == 0)
            return true;
        if (n < 0)
            return false;
    }
}

/* Decimals of the currencies the tests use; -1: any. */
static int test_exponent(const char *currency)
{
    if (strcmp(currency, "JPY") == 0)
        return 0;
    if (strcmp(currency, "KWD") == 0)
        return 3;
    if (strcmp(currency, "EUR") == 0 || strcmp(currency, "USD") == 0)
        return 2;
    return -1;
}

long long bpt_money(const json_t *obj, const char *name, const char *currency)
{
    const json_t *m = json_object_get(obj, name);
    const char *amount = json_string_value(json_object_get(m, "amount"));
    const char *cur = json_string_value(json_object_get(m, "currency"));
    const json_t *units = json_object_get(m, "minorUnits");
    char *text = json_dumps(m, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!json_is_object(m) || json_object_size(m) != 3 || amount == NULL || cur == NULL ||
        strlen(cur) != 3 || !json_is_integer(units))
        die("%s is not a Money object {amount, currency, minorUnits}: %s", name,
            text ? text : "(absent)");
    if (currency != NULL && strcmp(cur, currency) != 0)
        die("%s is in %s, not %s: %s", name, cur, currency, text);
    const char *dot = strchr(amount, '.');
    int decimals = dot ? (int)strlen(dot + 1) : 0;
    int want = test_exponent(cur);
    if (want >= 0 && decimals != want)
        die("%s: amount \"%s\" has %d decimals, %s has %d: %s", name, amount, decimals, cur, want,
            text);
    char digits[40];
    size_t n = 0;
    for (const char *p = amount; *p && n + 1 < sizeof digits; p++)
        if (*p != '.')
            digits[n++] = *p;
    digits[n] = '\0';
    char *end = NULL;
    long long v = strtoll(digits, &end, 10);
    if (n == 0 || *end != '\0' || (dot && dot[1] == '\0') || amount[0] == '.' ||
        v != (long long)json_integer_value(units))
        die("%s: amount \"%s\" is not minorUnits %lld: %s", name, amount,
            (long long)json_integer_value(units), text);
    free(text);
    return v;
}

static bool amount_like(const char *key)
{
    if (strcmp(key, "totalItems") == 0 || strcmp(key, "totalPages") == 0)
        return false;
    size_t n = strlen(key);
    return strncmp(key, "amount", 6) == 0 || strncmp(key, "total", 5) == 0 ||
           (n >= 3 && strcmp(key + n - 3, "Tax") == 0) ||
           (n >= 5 && strcmp(key + n - 5, "Price") == 0) || strcmp(key, "creditLimit") == 0 ||
           strcmp(key, "outstanding") == 0 || strcmp(key, "available") == 0 ||
           strcmp(key, "base") == 0 || strcmp(key, "tax") == 0;
}

int bpt_money_walk(const json_t *doc)
{
    int seen = 0;
    const char *key;
    const json_t *v;
    size_t i;
    if (json_is_object(doc)) {
        json_object_foreach((json_t *)doc, key, v)
        {
            if (amount_like(key) && json_is_number(v))
                die("%s is a bare JSON number, not a Money object", key);
            if (amount_like(key) && json_is_object(v)) {
                bpt_money(doc, key, NULL);
                seen++;
            } else {
                seen += bpt_money_walk(v);
            }
        }
    } else if (json_is_array(doc)) {
        json_array_foreach(doc, i, v) seen += bpt_money_walk(v);
    }
    return seen;
}

/* ---------- mail and events ---------- */

char *bpt_qp_decode(const char *s, size_t len)
{
    char *out = malloc(len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '=' && i + 2 < len && s[i + 1] == '\r' && s[i + 2] == '\n') {
            i += 2;
        } else if (s[i] == '=' && i + 2 < len) {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            out[n++] = (char)strtol(hex, NULL, 16);
            i += 2;
        } else if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n') {
            out[n++] = '\n';
            i++;
        } else {
            out[n++] = s[i];
        }
    }
    out[n] = '\0';
    return out;
}

json_t *bpt_events_of(const char *topic, const char *const *types, const char *invoice_ref)
{
    json_t *all = bpt_consume_all(topic, 1500);
    json_t *out = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(all, i, m)
    {
        json_t *v = json_object_get(m, "value");
        const char *type = json_string_value(json_object_get(v, "type"));
        const char *ref =
            json_string_value(json_object_get(json_object_get(v, "data"), "invoiceRef"));
        bool wanted = false;
        for (size_t k = 0; type != NULL && types[k] != NULL; k++)
            wanted = wanted || strcmp(type, types[k]) == 0;
        if (wanted && (invoice_ref == NULL || (ref != NULL && strcmp(ref, invoice_ref) == 0)))
            json_array_append(out, m);
    }
    json_decref(all);
    return out;
}
