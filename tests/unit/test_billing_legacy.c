/* Unit tests of billing_legacy: operation and invoice documents stored before
 * amounts were Money objects are answered in today's shape. */
#include "billing_legacy.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "tu_money.h"

static json_t *load(const char *text)
{
    json_error_t err;
    json_t *doc = json_loads(text, 0, &err);
    if (doc == NULL)
        fail_msg("not JSON (%s): %s", err.text, text);
    return doc;
}

/* An operation document as billing stored it before: numbers, one twin. */
static const char *const old_operation =
    "{\"operationId\":\"x\",\"operationType\":\"PURCHASE\",\"order\":{\"orderRef\":\"O-1\","
    "\"currencyCode\":\"EUR\",\"orderItems\":[{\"productItems\":[{\"quantity\":2,"
    "\"unitPrice\":8.4,\"vatRate\":5.5,\"amountWithoutTax\":16.8,\"amountTax\":0.92,"
    "\"amountWithTax\":17.72},{\"quantity\":1,\"unitPrice\":2.8,\"vatRate\":20.0,"
    "\"amountWithoutTax\":2.8,\"amountTax\":0.56,\"amountWithTax\":3.36}]}],"
    "\"totalWithoutTax\":19.6,\"totalTax\":1.48,\"totalWithTax\":21.08,"
    "\"totalWithTaxMinor\":2108}}";

static void test_old_operation(void **state)
{
    (void)state;
    json_t *doc = load(old_operation);
    assert_true(bl_legacy_upgrade(doc));
    json_t *order = json_object_get(doc, "order");
    assert_int_equal(tu_money(json_object_get(order, "totalWithTax"), "total", "EUR", 2), 2108);
    assert_int_equal(tu_money(json_object_get(order, "totalTax"), "tax", "EUR", 2), 148);
    assert_int_equal(tu_money(json_object_get(order, "totalWithoutTax"), "w", "EUR", 2), 1960);
    assert_null(json_object_get(order, "totalWithTaxMinor"));
    json_t *p = json_array_get(
        json_object_get(json_array_get(json_object_get(order, "orderItems"), 0), "productItems"),
        0);
    assert_int_equal(tu_money(json_object_get(p, "unitPrice"), "unitPrice", "EUR", 2), 840);
    assert_int_equal(tu_money(json_object_get(p, "amountTax"), "amountTax", "EUR", 2), 92);
    assert_true(json_real_value(json_object_get(p, "vatRate")) == 5.5); /* a rate stays */
    assert_int_equal(json_integer_value(json_object_get(p, "quantity")), 2);

    /* upgrading again changes nothing; so does a document of today */
    json_t *copy = json_deep_copy(doc);
    assert_true(bl_legacy_upgrade(doc));
    assert_true(json_equal(doc, copy));
    json_decref(copy);
    json_decref(doc);
    assert_true(bl_legacy_upgrade(NULL));
}

static void test_old_invoice(void **state)
{
    (void)state;
    json_t *doc =
        load("{\"invoiceRef\":\"INV-2026-000001\",\"currency\":\"KWD\","
             "\"totalWithoutTax\":1.5,\"totalWithoutTaxMinor\":1500,\"totalTax\":0.15,"
             "\"totalTaxMinor\":150,\"totalWithTax\":1.65,\"totalWithTaxMinor\":1650,"
             "\"vatBreakdown\":[{\"vatRate\":10.0,\"base\":1.5,\"baseMinor\":1500,\"tax\":0.15,"
             "\"taxMinor\":150}],\"lines\":[{\"orderRef\":\"A\",\"amountWithoutTax\":-1.5,"
             "\"amountWithoutTaxMinor\":-1500,\"amountTax\":-0.15,\"amountTaxMinor\":-150,"
             "\"amountWithTax\":-1.65,\"amountWithTaxMinor\":-1650}],\"status\":\"ISSUED\"}");
    assert_true(bl_legacy_upgrade(doc));
    assert_int_equal(tu_money(json_object_get(doc, "totalWithTax"), "t", "KWD", 3), 1650);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(doc, "totalTax"), "amount")), "0.150");
    json_t *vat = json_array_get(json_object_get(doc, "vatBreakdown"), 0);
    assert_int_equal(tu_money(json_object_get(vat, "base"), "base", "KWD", 3), 1500);
    assert_int_equal(tu_money(json_object_get(vat, "tax"), "tax", "KWD", 3), 150);
    assert_null(json_object_get(vat, "taxMinor"));
    json_t *line = json_array_get(json_object_get(doc, "lines"), 0);
    assert_int_equal(tu_money(json_object_get(line, "amountWithTax"), "l", "KWD", 3), -1650);
    assert_null(json_object_get(line, "amountWithTaxMinor"));
    assert_null(json_object_get(doc, "totalWithTaxMinor"));
    json_decref(doc);
}

/* The twin is the truth: a number that floats away from it does not matter. */
static void test_twin_wins(void **state)
{
    (void)state;
    json_t *doc = load("{\"currency\":\"EUR\",\"totalWithTax\":0.30000000000000004,"
                       "\"totalWithTaxMinor\":30}");
    assert_true(bl_legacy_upgrade(doc));
    assert_int_equal(tu_money(json_object_get(doc, "totalWithTax"), "t", "EUR", 2), 30);
    json_decref(doc);
}

static void test_unreadable(void **state)
{
    (void)state;
    json_t *doc = load("{\"currency\":\"XXX\",\"totalWithTax\":1.5}");
    assert_false(bl_legacy_upgrade(doc));
    assert_true(json_is_real(json_object_get(doc, "totalWithTax"))); /* left as it was */
    json_decref(doc);
    doc = load("{\"order\":{\"currencyCode\":\"JPY\",\"totalWithTax\":1.5}}");
    assert_false(bl_legacy_upgrade(doc)); /* half a yen */
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_old_operation),
        cmocka_unit_test(test_old_invoice),
        cmocka_unit_test(test_twin_wins),
        cmocka_unit_test(test_unreadable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
