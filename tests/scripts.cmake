# Tests that are scripts: they drive the cimsim binary (and Python tools) from outside.
set(CIMSIM_PY /usr/bin/python3)
add_test(NAME scripts.presets_validate_and_cite_sources
  COMMAND ${CIMSIM_PY} ${CMAKE_SOURCE_DIR}/tests/scripts/check_presets.py $<TARGET_FILE:cimsim> ${CMAKE_SOURCE_DIR})
set_tests_properties(scripts.presets_validate_and_cite_sources PROPERTIES TIMEOUT 300)

# Sweep and plot tools (scripts/sweep.py, scripts/plot.py), driven with a fake cimsim
# (tests/scripts/fake_cimsim.py). The local sweep test also runs one point through the real
# binary (CIMSIM_REAL) to check the tool and the CLI agree on arguments; the plot test draws a
# report of the real binary, so the plots follow the report format cimsim writes.
add_test(NAME scripts.sweep_local
  COMMAND ${CIMSIM_PY} ${CMAKE_SOURCE_DIR}/tests/scripts/test_sweep.py)
set_tests_properties(scripts.sweep_local PROPERTIES TIMEOUT 150 LABELS "scripts;sweep"
  ENVIRONMENT "CIMSIM_REAL=$<TARGET_FILE:cimsim>;CIMSIM_DATA_DIR=${CMAKE_SOURCE_DIR}")
# Starts a real single-node Slurm (munge, slurmctld, slurmd; needs root and slurm-wlm, which
# scripts/setup.sh --test-deps installs). Fails, never skips, without them.
add_test(NAME scripts.sweep_slurm
  COMMAND ${CIMSIM_PY} ${CMAKE_SOURCE_DIR}/tests/scripts/test_sweep_slurm.py)
set_tests_properties(scripts.sweep_slurm PROPERTIES TIMEOUT 240 LABELS "scripts;sweep;slurm")
add_test(NAME scripts.plot
  COMMAND ${CIMSIM_PY} ${CMAKE_SOURCE_DIR}/tests/scripts/test_plot.py)
set_tests_properties(scripts.plot PROPERTIES TIMEOUT 600 LABELS "scripts;plot"
  ENVIRONMENT "CIMSIM_REAL=$<TARGET_FILE:cimsim>;CIMSIM_DATA_DIR=${CMAKE_SOURCE_DIR}")

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
