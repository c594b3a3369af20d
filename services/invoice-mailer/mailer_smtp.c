/* mailer_smtp: libcurl's SMTP upload with a read callback that marks the end
 * of the message, a progress callback for aborts and a debug callback that
 * keeps the server's last reply line. */
#include "mailer_smtp.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *data;
    size_t len, pos;
    bool data_sent; /* the read callback reported the end: the dot goes next */
    bool aborted;   /* we aborted the dialogue */
    const ml_smtp_hooks *hooks;
    ml_smtp_result *out;
} transfer;

static size_t on_read(char *buf, size_t size, size_t nitems, void *arg)
{
    transfer *t = arg;
    size_t room = size * nitems;
    if (t->pos < t->len) {
        size_t n = t->len - t->pos < room ? t->len - t->pos : room;
        memcpy(buf, t->data + t->pos, n);
        t->pos += n;
        return n;
    }
    if (!t->data_sent) {
        if (t->hooks != NULL && t->hooks->before_end != NULL &&
            !t->hooks->before_end(t->hooks->ctx)) {
            t->aborted = true;
            return CURL_READFUNC_ABORT;
        }
        t->data_sent = true;
    }
    return 0;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    transfer *t = arg;
    if (t->hooks == NULL)
        return 0;
    bool stop = t->data_sent
                    ? t->hooks->give_up_verdict != NULL && t->hooks->give_up_verdict(t->hooks->ctx)
                    : t->hooks->keep_going != NULL && !t->hooks->keep_going(t->hooks->ctx);
    t->aborted = t->aborted || stop;
    return stop;
}

/* Keeps the last line the server sent (replies arrive as CURLINFO_HEADER_IN),
 * except the "221" answering QUIT, which says nothing about the message. */
static int on_debug(CURL *curl, curl_infotype type, char *data, size_t size, void *arg)
{
    transfer *t = arg;
    if (type != CURLINFO_HEADER_IN || (size >= 3 && strncmp(data, "221", 3) == 0))
        return 0;
    while (size > 0 && (data[size - 1] == '\n' || data[size - 1] == '\r'))
        size--;
    if (size > sizeof t->out->reply - 1)
        size = sizeof t->out->reply - 1;
    memcpy(t->out->reply, data, size);
    t->out->reply[size] = '\0';
    return 0;
}

static void describe(CURLcode rc, const char *errbuf, bool data_sent, ml_smtp_result *out)
{
    const char *what = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    if (out->code >= 400 && data_sent)
        what = "message refused at its end";
    if (out->code >= 400 && out->reply[0])
        snprintf(out->error, sizeof out->error, "%s; server said: %s", what, out->reply);
    else if (data_sent && out->outcome == ML_OUTCOME_UNCERTAIN)
        snprintf(out->error, sizeof out->error, "%s after the end of the message: outcome unknown",
                 what);
    else
        snprintf(out->error, sizeof out->error, "%s", what);
}

void ml_smtp_send(const ml_smtp_config *cfg, const char *rcpt, const char *message,
                  const ml_smtp_hooks *hooks, ml_smtp_result *out)
{
    memset(out, 0, sizeof *out);
    transfer t = {.data = message, .len = strlen(message), .hooks = hooks, .out = out};
    CURL *curl = curl_easy_init();
    if (curl == NULL) {
        out->outcome = ML_OUTCOME_FAILED;
        snprintf(out->error, sizeof out->error, "cannot create a libcurl handle");
        return;
    }
    char from[300], to[300], errbuf[CURL_ERROR_SIZE] = "";
    snprintf(from, sizeof from, "<%s>", cfg->from);
    snprintf(to, sizeof to, "<%s>", rcpt);
    struct curl_slist *rcpts = curl_slist_append(NULL, to);
    curl_easy_setopt(curl, CURLOPT_URL, cfg->url);
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpts);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &t);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(curl, CURLOPT_DEBUGDATA, &t);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, cfg->connect_timeout_s);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, cfg->timeout_s);
    /* libcurl does not apply CURLOPT_TIMEOUT while it waits for the verdict on
     * the end of the message (its default there is 120 s): bound each reply too. */
    curl_easy_setopt(curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, cfg->timeout_s);
    if (cfg->starttls)
        curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    if (cfg->ca_file != NULL && cfg->ca_file[0] != '\0')
        curl_easy_setopt(curl, CURLOPT_CAINFO, cfg->ca_file);
    if (cfg->user != NULL && cfg->user[0] != '\0') {
        curl_easy_setopt(curl, CURLOPT_USERNAME, cfg->user);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, cfg->password ? cfg->password : "");
    }
    CURLcode rc = rcpts ? curl_easy_perform(curl) : CURLE_OUT_OF_MEMORY;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->code);
    out->outcome = ml_smtp_outcome(rc == CURLE_OK, t.data_sent, out->code, t.aborted);
    if (rc != CURLE_OK)
        describe(rc, errbuf, t.data_sent, out);
    curl_slist_free_all(rcpts);
    curl_easy_cleanup(curl);
}
