/* readmodel_lag: measures billing's read-model lag — from the contract
 * service's 201 for a new contract to billing accepting a purchase on it — over
 * N contracts created one after another. Prints p50, p90, p99 and max.
 * Usage: readmodel_lag CONTRACT_PORT BILLING_PORT API_KEY [N]. A bench tool, not
 * a test. */
#include "bpt.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static const char *contract_body =
    "{\"contractRef\":\"%s\",\"contractType\":\"DEFERRED_BILLING\",\"createdAt\":\"2026-01-02\","
    "\"activatedAt\":\"2026-01-01\",\"expireAt\":\"2030-12-31\",\"distributor\":{},"
    "\"subscriber\":{\"subscriberType\":\"PROFESSIONNAL\",\"contactPerson\":{\"lastName\":\"DOE\","
    "\"mail\":\"doe@example.com\"}},\"payment\":{\"mandate\":{\"reference\":\"M-1\","
    "\"iban\":\"FR7630006000011234567890189\",\"signedAt\":\"2026-01-01\"}},"
    "\"billing\":{\"creditLimit\":{\"amount\":\"1000.00\",\"currency\":\"EUR\"}}}";

static const char *op_body =
    "{\"contractRef\":\"%s\",\"operationAt\":\"%s\",\"order\":{\"orderRef\":\"LAG-1\","
    "\"orderItems\":[{\"productItems\":[{\"quantity\":1,\"unitPrice\":\"1.00\",\"vatRate\":0}]}]}}";

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s CONTRACT_PORT BILLING_PORT API_KEY [N]\n", argv[0]);
        return 2;
    }
    int cport = atoi(argv[1]), bport = atoi(argv[2]), n = argc > 4 ? atoi(argv[3 + 1]) : 1000;
    const char *key = argv[3];
    curl_global_init(CURL_GLOBAL_ALL);
    double *lag = calloc((size_t)n, sizeof *lag);
    char today[11];
    time_t t = time(NULL);
    strftime(today, sizeof today, "%Y-%m-%d", gmtime(&t));
    char run[16];
    snprintf(run, sizeof run, "%lx", (unsigned long)t);
    for (int i = 0; i < n; i++) {
        char ref[64], body[2048], path[128];
        snprintf(ref, sizeof ref, "LAG-%s-%05d", run, i);
        snprintf(body, sizeof body, contract_body, ref);
        bpt_resp r = bpt_http("POST", cport, "/contracts", key, body, NULL);
        double created = now_ms();
        if (r.status != 201) {
            fprintf(stderr, "create %s: %ld %s\n", ref, r.status, r.body);
            return 1;
        }
        bpt_resp_free(&r);
        snprintf(path, sizeof path, "/contracts/%s/account", ref);
        for (int tries = 0;; tries++) {
            r = bpt_http("GET", bport, path, key, NULL, NULL);
            long s = r.status;
            bpt_resp_free(&r);
            if (s == 200)
                break;
            if (tries > 20000) {
                fprintf(stderr, "billing never saw %s\n", ref);
                return 1;
            }
        }
        snprintf(body, sizeof body, op_body, ref, today);
        r = bpt_http("POST", bport, "/operations", key, body, NULL);
        if (r.status != 201) {
            fprintf(stderr, "purchase on %s: %ld %s\n", ref, r.status, r.body);
            return 1;
        }
        bpt_resp_free(&r);
        lag[i] = now_ms() - created;
    }
    qsort(lag, (size_t)n, sizeof *lag, cmp);
    printf("read-model lag over %d contracts (201 on contract → purchase accepted by billing):\n",
           n);
    printf("  p50 %.1f ms   p90 %.1f ms   p99 %.1f ms   max %.1f ms\n", lag[n / 2], lag[n * 9 / 10],
           lag[n * 99 / 100], lag[n - 1]);
    free(lag);
    return 0;
}
