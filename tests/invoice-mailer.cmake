# invoice-mailer tests, included from tests/CMakeLists.txt.
# Unit tests (cmocka, label unit): the pure modules — renderer, event parser,
# send/retry policy and dead-letter document.
foreach(m render invoice policy)
  add_executable(test_mailer_${m} unit/test_mailer_${m}.c)
  target_link_libraries(test_mailer_${m} PRIVATE mailer_core PkgConfig::CMOCKA)
  add_test(NAME unit.mailer_${m} COMMAND test_mailer_${m})
  set_tests_properties(unit.mailer_${m} PROPERTIES LABELS unit TIMEOUT 30)
endforeach()

# Integration tests: the daemon against the stack's PostgreSQL and Kafka and a
# real SMTP server (tests/support/smtp_sink.py, Debian's python3-aiosmtpd).
add_integration_test(mailer_flow integration/test_mailer_flow.c integration/mailer_fixture.c)
add_integration_test(mailer_faults integration/test_mailer_faults.c
  integration/mailer_fixture.c)
add_integration_test(mailer_tls integration/test_mailer_tls.c integration/mailer_fixture.c)
