# The payment daemon's tests, included from tests/CMakeLists.txt: cmocka unit
# tests of its pure modules (the simulated bank's rules, the payment.requested
# parser and the payment JSON) and integration tests against the stack fixture.
foreach(m bank model)
  add_executable(test_payment_${m} unit/test_payment_${m}.c)
  target_link_libraries(test_payment_${m} PRIVATE payment_core bp_common PkgConfig::CMOCKA)
  add_test(NAME unit.payment_${m} COMMAND test_payment_${m})
  set_tests_properties(unit.payment_${m} PROPERTIES LABELS unit TIMEOUT 30)
endforeach()

add_integration_test(payment_flow integration/test_payment_flow.c
  integration/payment_fixture.c)
add_integration_test(payment_recovery integration/test_payment_recovery.c
  integration/payment_fixture.c)
