/* fuzz_billing_legacy: a stored operation or invoice document, read back as billing's
 * stores read them (JSON_ALLOW_NUL), through bl_legacy_upgrade. Invariant: an upgrade
 * that succeeded leaves a document of today's shape, which a second upgrade leaves as
 * it is. */
#include "billing_legacy.h"
#include "fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *doc = fz_json(data, size, JSON_ALLOW_NUL);
    if (doc == NULL)
        return 0;
    if (bl_legacy_upgrade(doc)) {
        json_t *once = json_deep_copy(doc);
        FZ_CHECK(bl_legacy_upgrade(doc), "an upgraded document upgrades again");
        FZ_CHECK(json_equal(once, doc), "an upgraded document is left as it is");
        json_decref(once);
    }
    json_decref(doc);
    return 0;
}
