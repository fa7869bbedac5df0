# Tests that are scripts: they drive the cimsim binary (and Python tools) from outside.
set(CIMSIM_PY /usr/bin/python3)
add_test(NAME scripts.presets_validate_and_cite_sources
  COMMAND ${CIMSIM_PY} ${CMAKE_SOURCE_DIR}/tests/scripts/check_presets.py $<TARGET_FILE:cimsim> ${CMAKE_SOURCE_DIR})
set_tests_properties(scripts.presets_validate_and_cite_sources PROPERTIES TIMEOUT 300)

# A test file of tests/scripts run by the Python that runs the tools:
# cimsim_script_test(NAME FILE TIMEOUT LABELS [ENVIRONMENT entries...]).
function(cimsim_script_test name file timeout labels)
  add_test(NAME ${name} COMMAND ${CIMSIM_PY} ${CMAKE_SOURCE_DIR}/tests/scripts/${file})
  set_tests_properties(${name} PROPERTIES TIMEOUT ${timeout} LABELS "${labels}")
  if(ARGN)
    set_tests_properties(${name} PROPERTIES ENVIRONMENT "${ARGN}")
  endif()
endfunction()

# Sweep and plot tools (scripts/sweep.py, scripts/plot.py), driven with a fake cimsim
# (tests/scripts/fake_cimsim.py). The local sweep test also runs one point through the real
# binary (CIMSIM_REAL) to check the tool and the CLI agree on arguments; the plot test draws a
# report of the real binary, so the plots follow the report format cimsim writes.
cimsim_script_test(scripts.sweep_local test_sweep.py 150 "scripts;sweep"
  "CIMSIM_REAL=$<TARGET_FILE:cimsim>" "CIMSIM_DATA_DIR=${CMAKE_SOURCE_DIR}")
# Starts a real single-node Slurm (munge, slurmctld, slurmd; needs root and slurm-wlm, which
# scripts/setup.sh --test-deps installs). Fails, never skips, without them.
cimsim_script_test(scripts.sweep_slurm test_sweep_slurm.py 240 "scripts;sweep;slurm")
cimsim_script_test(scripts.plot test_plot.py 600 "scripts;plot"
  "CIMSIM_REAL=$<TARGET_FILE:cimsim>" "CIMSIM_DATA_DIR=${CMAKE_SOURCE_DIR}")
# The spec's JSON Schema and the settings it varies against cimsim's schemas (in-process, no
# binary); the CSV/table helper; the study's tables and length-exponent fits on a small
# hand-written CSV.
cimsim_script_test(scripts.sweep_spec test_sweep_spec.py 60 "scripts;sweep"
  "CIMSIM_DATA_DIR=${CMAKE_SOURCE_DIR}")
cimsim_script_test(scripts.table test_table.py 60 "scripts")
cimsim_script_test(scripts.study test_study.py 60 "scripts")
cimsim_script_test(scripts.common test_common.py 60 "scripts")

# Refactoring guard (not an accuracy test): the reports of a fixed set of small runs have the
# digests recorded in tests/golden/machine_reports.sha256 (--update after an intended change).
add_test(NAME scripts.golden_machine_reports
  COMMAND ${CIMSIM_PY} ${CMAKE_SOURCE_DIR}/tests/golden/machine_reports.py $<TARGET_FILE:cimsim> --check)
set_tests_properties(scripts.golden_machine_reports PROPERTIES TIMEOUT 300 LABELS "scripts;golden")

# The validation table's script (scripts/validate.py) on its smallest figure, so that it cannot
# rot; the full table is a benchmark (bench/validate.sh).
add_test(NAME scripts.validate_one_figure
  COMMAND ${CIMSIM_PY} ${CMAKE_SOURCE_DIR}/tests/scripts/test_validate.py $<TARGET_FILE:cimsim>)
set_tests_properties(scripts.validate_one_figure PROPERTIES TIMEOUT 300 LABELS "scripts"
  ENVIRONMENT "CIMSIM_DATA_DIR=${CMAKE_SOURCE_DIR}")
