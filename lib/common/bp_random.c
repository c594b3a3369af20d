/* bp_random: random identifiers. Falls back to nothing: getrandom(2) blocks only
 * before the kernel's pool is initialised, which never happens for a daemon. */
#include "bp_random.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

static void random_bytes(uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(buf + got, n - got, 0);
        if (r > 0)
            got += (size_t)r;
    }
}

void bp_uuid_v4(char *buf)
{
    uint8_t b[16];
    random_bytes(b, sizeof b);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

bool bp_uuid_valid(const char *s)
{
    if (s == NULL || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        char c = s[i];
        bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (dash ? c != '-' : !hex)
            return false;
    }
    return true;
}

void bp_random_ref(const char *prefix, size_t nchars, char *buf, size_t size)
{
    static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    size_t plen = strlen(prefix);
    if (size == 0)
        return;
    size_t i = 0;
    for (; i < plen && i + 1 < size; i++)
        buf[i] = prefix[i];
    uint8_t r[64];
    if (nchars > sizeof r)
        nchars = sizeof r;
    random_bytes(r, nchars);
    for (size_t k = 0; k < nchars && i + 1 < size; k++, i++)
        buf[i] = alphabet[r[k] & 31];
    buf[i] = '\0';
}
