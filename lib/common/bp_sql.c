/* bp_sql: placeholders and array literals for batch statements. */
#include "bp_sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARAMS 65535

char *bp_sql_values(const char *head, const char *const *casts, int ncols, int nrows,
                    const char *tail)
{
    if (ncols <= 0 || nrows <= 0 || (long)ncols * nrows > MAX_PARAMS)
        return NULL;
    size_t row = 4; /* "(", ")", ", " */
    for (int c = 0; c < ncols; c++)
        row += strlen(casts[c]) + 9; /* "$65535" and ", " */
    size_t size = strlen(head) + strlen(tail) + 16 + row * (size_t)nrows;
    char *sql = malloc(size);
    if (sql == NULL)
        return NULL;
    size_t len = (size_t)snprintf(sql, size, "%s VALUES ", head);
    int p = 1;
    for (int r = 0; r < nrows; r++) {
        len += (size_t)snprintf(sql + len, size - len, r ? ", (" : "(");
        for (int c = 0; c < ncols; c++)
            len += (size_t)snprintf(sql + len, size - len, "%s$%d%s", c ? ", " : "", p++, casts[c]);
        len += (size_t)snprintf(sql + len, size - len, ")");
    }
    snprintf(sql + len, size - len, " %s", tail);
    return sql;
}

char *bp_sql_array(const char *const *items, size_t n)
{
    size_t size = 3;
    for (size_t i = 0; i < n; i++)
        size += items[i] ? 2 * strlen(items[i]) + 3 : 5; /* every byte escaped, quotes, comma */
    char *out = malloc(size);
    if (out == NULL)
        return NULL;
    char *p = out;
    *p++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i)
            *p++ = ',';
        if (items[i] == NULL) {
            memcpy(p, "NULL", 4);
            p += 4;
            continue;
        }
        *p++ = '"';
        for (const char *s = items[i]; *s; s++) {
            if (*s == '"' || *s == '\\')
                *p++ = '\\';
            *p++ = *s;
        }
        *p++ = '"';
    }
    *p++ = '}';
    *p = '\0';
    return out;
}
