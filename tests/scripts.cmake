# Tests that are scripts: they drive the cimsim binary (and Python tools) from outside.
set(CIMSIM_PY /usr/bin/python3)
add_test(NAME scripts.presets_validate_and_cite_sources
  COMMAND ${CIMSIM_PY} ${CMAKE_SOURCE_DIR}/tests/scripts/check_presets.py $<TARGET_FILE:cimsim> ${CMAKE_SOURCE_DIR})
set_tests_properties(scripts.presets_validate_and_cite_sources PROPERTIES TIMEOUT 300)
