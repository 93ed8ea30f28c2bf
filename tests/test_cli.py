"""The command line."""

import json
import subprocess
import sys

from xlmodel.cli import main


def test_summary_table_lists_every_scenario_with_units(capsys):
    assert main(["summary"]) == 0
    out = capsys.readouterr().out
    for word in ("base", "essay", "conservative", "$/kg", "$/Mtok", "%/yr", "400", "100.0 %"):
        assert word in out


def test_summary_json(capsys):
    assert main(["summary", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert abs(data["essay"]["breakeven_launch_cost"]["value"] - 400.0) < 1e-9
    assert data["base"]["crossover_year"]["value"] is None  # never: p* < 0


def test_module_entry_point_and_usage_error():
    ok = subprocess.run([sys.executable, "-m", "xlmodel", "--version"], capture_output=True,
                        text=True)
    assert ok.returncode == 0 and "xlmodel" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "xlmodel", "no-such-verb"], capture_output=True,
                         text=True)
    assert bad.returncode == 2
