/* bp_result: database failures as results (see the header). */
#include "bp_result.h"

#include "bp_log.h"

bp_result bp_db_failure(bp_db *db, bp_db_result r, const char *what)
{
    if (r == BP_DB_UNAVAILABLE) {
        bp_log_warn("%s: database unavailable: %s", what, bp_db_error(db));
        return BP_R_UNAVAILABLE;
    }
    bp_log_error("%s: database %s: %s", what, bp_db_result_text(r), bp_db_error(db));
    return BP_R_INTERNAL;
}
