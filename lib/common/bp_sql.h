/* bp_sql: the text of batch statements, pure. Values still travel as
 * parameters: these build only placeholders ("($1::uuid, $2), ($3::uuid, $4)")
 * and the PostgreSQL array literal that one text parameter carries. */
#ifndef BP_SQL_H
#define BP_SQL_H

#include <stddef.h>

/* "<head> VALUES ($1<casts[0]>, $2<casts[1]>, ...), (...) <tail>" for nrows rows
 * of ncols columns (casts[i] like "::uuid" or ""). malloc'd; NULL when out of
 * memory or when nrows * ncols exceeds the protocol's 65,535 parameters. */
char *bp_sql_values(const char *head, const char *const *casts, int ncols, int nrows,
                    const char *tail);

/* The array literal {"a","b\"c",NULL} of n strings (a NULL item is SQL NULL),
 * to pass as one parameter cast to text[] or uuid[]. malloc'd; NULL when out of
 * memory. */
char *bp_sql_array(const char *const *items, size_t n);

#endif
