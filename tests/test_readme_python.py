"""The README's Python walkthrough, run as it is printed (doctest)."""

import doctest
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _walkthrough() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## The model from Python")
    end = readme.index("\n## ", start + 1)
    blocks = re.findall(r"```pycon\n(.*?)```", readme[start:end], flags=re.S)
    assert len(blocks) >= 5, "the walkthrough lost its examples"
    return "\n".join(blocks)


def test_readme_python_walkthrough_runs_as_printed(monkeypatch):
    monkeypatch.chdir(ROOT)  # it checks workbooks/ by a relative path
    test = doctest.DocTestParser().get_doctest(_walkthrough(), {}, "README", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    out = []
    runner.run(test, out=out.append)
    assert runner.failures == 0, "".join(out)
    assert runner.tries >= 15
    assert os.getcwd() == str(ROOT)
