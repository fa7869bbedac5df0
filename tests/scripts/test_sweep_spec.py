#!/usr/bin/python3
"""Sweep spec validation (scripts/cimsim_tools/spec.py, schema.py): the spec against
configs/schema/sweep.schema.json, and the machine and workload settings it varies against the
schemas cimsim writes (configs/schema/machine-<type>.schema.json, workload.schema.json).

One bad spec per rule (wrong type, unknown key, out-of-range value, a setting that does not
exist, a setting only the other machine type has, ...), each a one-line message naming the spec
file, the JSON path, the value and what was expected. Bounds and key lists the messages quote
are read from the schema files here, not from the code under test. Runs in-process (no cimsim
needed); test_sweep.py covers the same errors through the command line (exit 2, nothing
written)."""
import json
import os
import re
import shutil
import tempfile
import unittest

from sweep_support import REPO, write_spec

from cimsim_tools import spec as spec_mod
from cimsim_tools.common import InputError

SCHEMA_DIR = os.path.join(REPO, "configs", "schema")


def schema_file(name):
    with open(os.path.join(SCHEMA_DIR, name)) as f:
        return json.load(f)


CIM = schema_file("machine-cim.schema.json")
VN = schema_file("machine-von_neumann.schema.json")
ROWS = CIM["properties"]["crossbar"]["properties"]["rows"]


def base(**extra):
    doc = {"machines": ["isaac"], "workload": "gpt2-small"}
    doc.update(extra)
    return doc


class SpecValidation(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cimsim-sweep-spec-test-")
        os.environ["CIMSIM_DATA_DIR"] = REPO

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def load(self, doc):
        return spec_mod.Spec.load(write_spec(self.tmp, doc))

    def assertRejects(self, doc, path, message):
        """The spec fails with exactly `<file>: <path>: <message>` (message: a regex)."""
        with self.assertRaises(InputError) as ctx:
            self.load(doc)
        text = str(ctx.exception)
        self.assertNotIn("\n", text)
        prefix = "%s: %s: " % (os.path.join(self.tmp, "spec.json"), path)
        self.assertTrue(text.startswith(prefix), "%r does not start with %r" % (text, prefix))
        self.assertRegex(text[len(prefix):], "^" + message + "$")

    # ---- serve sweeps (request rate) -------------------------------------------------------

    def test_serve_sweep_over_request_rate(self):
        sp = self.load({"command": "serve", "machines": ["a100-sxm4-80gb"],
                        "workload": "gpt2-small", "set": {"serve.generator.count": 10},
                        "grid": {"serve.generator.rate_per_s": [1, 2.5]}})
        self.assertEqual(len(sp.points), 2)
        args = sp.cimsim_args(sp.points[1].params)
        self.assertEqual(args[0], "serve")
        self.assertIn("serve.generator.rate_per_s=2.5", args)
        self.assertIn("serve.generator.count=10", args)
        shipped = spec_mod.Spec.load(os.path.join(REPO, "configs", "sweeps",
                                                  "serve-request-rate.json"))
        self.assertEqual(len(shipped.points), 4)

    def test_serve_settings_need_the_serve_command(self):
        self.assertRejects({"machines": ["a100-sxm4-80gb"], "workload": "gpt2-small",
                            "grid": {"serve.generator.rate_per_s": [1, 2]}},
                           'grid["serve.generator.rate_per_s"]',
                           'a serve\. setting needs "command": "serve"')
        self.assertRejects({"command": "serve", "machines": ["a100-sxm4-80gb"],
                            "workload": "gpt2-small", "args": {"prompt": 64},
                            "grid": {"serve.generator.rate_per_s": [1, 2]}},
                           "args.prompt", "not an argument of cimsim serve.*")

    # ---- the spec's own schema -----------------------------------------------------------

    def test_sweep_schema_is_a_valid_json_schema(self):
        import jsonschema
        jsonschema.Draft202012Validator.check_schema(schema_file("sweep.schema.json"))

    def test_wrong_type(self):
        self.assertRejects(base(args={"batch": "2"}), "args.batch",
                           r'expected an integer >= 1, got "2"')
        self.assertRejects(base(args={"check_timing": 1}), "args.check_timing",
                           r"expected true or false, got 1")
        self.assertRejects(base(description=3), "description", r"expected a string, got 3")
        self.assertRejects(base(list={"batch": 2}), "list",
                           r"expected a non-empty array of points \(objects of PARAMETER: "
                           r"value\), got an object")
        self.assertRejects(base(machines=5), "machines",
                           r"expected a machine preset or file, or a non-empty array of them "
                           r"\(side by side\), got 5")
        self.assertRejects(base(machines=["isaac", ""]), "machines[1]",
                           r'expected a machine preset or file, got ""')
        self.assertRejects(base(slurm={"sbatch_args": "--x"}), "slurm.sbatch_args",
                           r'expected an array of strings \(extra sbatch arguments\), got "--x"')

    def test_unknown_key(self):
        self.assertRejects(base(args={"batches": 2}), "args.batches",
                           r'unknown run argument \(expected one of: mode, prompt, generate, '
                           r'batch, no_fast_forward, check_timing; other settings go in "set"\)')
        self.assertRejects(base(list=[{}, {"promt": 3}]), "list[1].promt",
                           r"unknown parameter \(expected machine, workload, mode, .*\)")
        self.assertRejects(base(slurm={"partition": "a", "nodes": 2}), "slurm.nodes",
                           r"unknown key \(expected one of: partition, time, cpus_per_task, mem, "
                           r"account, qos, sbatch_args\)")
        self.assertRejects(base(set={"machine": "isaac"}), "set.machine",
                           r'expected a --set path machine\.PATH or workload\.PATH .*, '
                           r'got "machine"')

    def test_out_of_range_value(self):
        self.assertRejects(base(grid={"prompt": [16, 0]}), "grid.prompt[1]",
                           r"expected an integer >= 1, got 0")
        self.assertRejects(base(args={"mode": "enc"}), "args.mode",
                           r'expected one of: decoder, encoder, entp, got "enc"')
        self.assertRejects(base(slurm={"cpus_per_task": 0}), "slurm.cpus_per_task",
                           r"expected an integer >= 1, got 0")
        self.assertRejects(base(name="two words"), "name",
                           r"expected a name of letters, digits, '\.', '_' and '-', "
                           r'got "two words"')

    def test_values_given_twice_and_nulls(self):
        self.assertRejects(base(grid={"batch": [1, 2, 1]}), "grid.batch[2]",
                           r"value 1 given twice")
        self.assertRejects(base(list=[{"machine.crossbar.rows": None}]),
                           'list[0]["machine.crossbar.rows"]',
                           r"expected a value for --set \(a number, string, boolean, array or "
                           r"object\), got null")
        self.assertRejects(base(grid={"batch": [1], "workload.run.batch": [2]}),
                           'grid["workload.run.batch"]',
                           r"the same parameter as grid\.batch; give it once")

    # ---- machine and workload settings against cimsim's schemas -------------------------

    def test_machine_setting_out_of_range(self):
        lo, hi = ROWS["minimum"], ROWS["maximum"]
        self.assertRejects(base(grid={"machine.crossbar.rows": [128, lo - 1]}),
                           'grid["machine.crossbar.rows"][1]',
                           r"expected an integer in \[%d, %d\], got %d \(machine\.crossbar\.rows "
                           r"of machine type cim\)" % (lo, hi, lo - 1))
        self.assertRejects(base(set={"machine.crossbar.rows": "many"}),
                           'set["machine.crossbar.rows"]',
                           r'expected an integer in \[%d, %d\], got "many" .*' % (lo, hi))

    def test_machine_setting_that_does_not_exist(self):
        top = ", ".join(k for k in CIM["properties"]
                        if k not in ("source", "sources", "extends", "$schema"))
        self.assertRejects(base(grid={"machine.xbar.rows": [64, 128]}),
                           'grid["machine.xbar.rows"]',
                           r"no setting machine\.xbar\.rows \(machine type cim \(isaac\): "
                           r"machine has: %s\)" % re.escape(top))
        crossbar = ", ".join(k for k in CIM["properties"]["crossbar"]["properties"]
                             if k not in ("source", "sources"))
        self.assertRejects(base(set={"machine.crossbar.row": 64}),
                           'set["machine.crossbar.row"]',
                           r"no setting machine\.crossbar\.row \(machine type cim \(isaac\): "
                           r"machine\.crossbar has: %s\)" % re.escape(crossbar))
        self.assertRejects(base(set={"machine.clock_ghz[0]": 1}), 'set["machine.clock_ghz[0]"]',
                           r"no setting machine\.clock_ghz\[0\] \(.*machine\.clock_ghz is not "
                           r"an array\)")
        self.assertRejects(base(set={"machine.pe.other[x].count": 1}),
                           'set["machine.pe.other[x].count"]',
                           r"expected a --set path of KEY or KEY\[INDEX\] parts joined by '\.', "
                           r'got "machine\.pe\.other\[x\]\.count"')

    def test_setting_of_the_other_machine_type(self):
        self.assertNotIn("crossbar", VN["properties"])
        self.assertRejects(base(machines=["a100-sxm4-80gb"], set={"machine.crossbar.rows": 64}),
                           'set["machine.crossbar.rows"]',
                           r"no setting machine\.crossbar\.rows \(machine type von_neumann "
                           r"\(a100-sxm4-80gb\): machine has: .*\)")
        # The type of a file comes through "extends" (a100-flash extends a100-sxm4-80gb).
        study = os.path.join(REPO, "configs", "study", "a100-flash.json")
        self.assertRejects(base(machines=[study], set={"machine.crossbar.rows": 64}),
                           'set["machine.crossbar.rows"]',
                           r"no setting .* \(machine type von_neumann \(a100-flash\.json\): .*\)")
        # Side by side, a setting applies to the machines that have it: fine if one has it.
        spec = self.load(base(machines=["a100-sxm4-80gb", "isaac"],
                              set={"machine.crossbar.rows": 64}))
        self.assertEqual(len(spec.points), 1)
        # A grid over machines: the point that runs the A100 alone has no crossbar.
        self.assertRejects(base(grid={"machine": ["isaac", "a100-sxm4-80gb"],
                                      "machine.crossbar.rows": [64]}),
                           'grid["machine.crossbar.rows"]',
                           r"no setting machine\.crossbar\.rows \(machine type von_neumann .*\)")

    def test_machine_of_unknown_type_is_checked_against_every_type(self):
        # cimsim reports the unknown preset when the point runs; the setting must still exist
        # in some machine type and fit it.
        self.assertEqual(len(self.load(base(machines=["isaak"],
                                            set={"machine.crossbar.rows": 64})).points), 1)
        self.assertRejects(base(machines=["isaak"], set={"machine.nothing": 1}),
                           'set["machine.nothing"]',
                           r"no setting machine\.nothing \(machine type cim: machine has: .*; "
                           r"machine type von_neumann: machine has: .*\)")

    def test_workload_settings(self):
        self.assertRejects(base(set={"workload.model.layers": "x"}),
                           'set["workload.model.layers"]', r'expected an integer .*, got "x"')
        self.assertRejects(base(list=[{"workload.run.batch": 0}]),
                           'list[0]["workload.run.batch"]', r"expected an integer >= 1, got 0")
        self.assertRejects(base(set={"workload.model.layer": 3}), 'set["workload.model.layer"]',
                           r"no setting workload\.model\.layer \(workload\.model has: layers, "
                           r"d_model, .*\)")

    def test_object_value_is_checked_whole(self):
        # --set replaces the object: keys it requires must be there.
        required = CIM["properties"]["crossbar"]["required"]
        missing = [k for k in required if k != "rows"]
        self.assertRejects(base(set={"machine.crossbar": {"rows": 64}}), 'set["machine.crossbar"]',
                           r"missing keys %s \(machine\.crossbar of machine type cim\)"
                           % re.escape(", ".join(json.dumps(k) for k in missing)))

    # ---- what issue #17 needs: run settings and machine settings in one sweep -----------

    def test_a_run_setting_and_a_machine_setting_vary_together(self):
        spec = self.load(base(args={"generate": 2},
                              grid={"workload.run.batch": [1, 4],
                                    "workload.run.attention": ["fused", "split"],
                                    "machine.crossbar.rows": [64, 128]}))
        self.assertEqual(len(spec.points), 8)
        self.assertEqual(spec.param_columns, ["machines", "workload", "generate", "batch",
                                              "workload.run.attention", "machine.crossbar.rows"])
        last = spec.cimsim_args(spec.points[-1].params)
        self.assertEqual(last, ["run", "--machine", "isaac", "--workload", "gpt2-small",
                                "--generate", "2", "--batch", "4",
                                "--set", "workload.run.attention=split",
                                "--set", "machine.crossbar.rows=128"])
        self.assertRejects(base(grid={"workload.run.attention": ["fused", "flash"]}),
                           'grid["workload.run.attention"][1]',
                           r'expected one of: fused, split, got "flash"')

    def test_parallelism_degrees_sweep_as_node_settings(self):
        # Issue #17: the sweep varies the tensor- and pipeline-parallel degrees of a node
        # (configs/sweeps/tensor-parallel.json, docs/parallelism.md).
        spec = spec_mod.Spec.load(os.path.join(REPO, "configs", "sweeps", "tensor-parallel.json"))
        self.assertEqual([p.params["set"]["machine.node.tensor_parallel"] for p in spec.points],
                         [1, 2, 4, 8])
        self.assertEqual(spec.cimsim_args(spec.points[-1].params)[-2:],
                         ["--set", "machine.node.tensor_parallel=8"])
        node = base(machines=["8x-a100-sxm4-80gb"])
        self.assertEqual(len(self.load(dict(node, grid={"machine.node.pipeline_parallel": [1, 2]}))
                             .points), 2)
        self.assertRejects(dict(node, grid={"machine.node.tensor_parallel": [2, 0]}),
                           'grid["machine.node.tensor_parallel"][1]',
                           r"expected an integer in \[1, 4096\], got 0 .*")

    def test_the_spec_in_docs_sweeps_md_is_valid(self):
        with open(os.path.join(REPO, "docs", "sweeps.md")) as f:
            text = f.read()
        block = re.search(r"## The spec\n\n```json\n(.*?)\n```", text, re.S)
        self.assertIsNotNone(block, "docs/sweeps.md has no ```json spec under ## The spec")
        spec = self.load(json.loads(block.group(1)))
        self.assertEqual(len(spec.points), 2 * 2 * 6)


if __name__ == "__main__":
    unittest.main(verbosity=2)
