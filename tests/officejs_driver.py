"""Runs Excel function calls through xlwings' own Office.js call path, in a child process.

Used by the tests: xlwings Server and Lite code needs XLWINGS_ON_SERVER=true and a licence key
set before xlwings is imported, so it cannot run inside the pytest process. Reads a JSON job
from stdin: {"module": path of the module file, "calls": [[func_name, args], ...],
"meta": bool}; prints JSON: {"meta": ..., "results": [{"value": ...} | {"error": ...}]}.
"""

import asyncio
import importlib.util
import json
import sys


def load(path):
    spec = importlib.util.spec_from_file_location("udf_module_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def run(job):
    from xlwings.server import custom_functions_call, custom_functions_meta

    module = load(job["module"])
    out = {"meta": custom_functions_meta(module) if job.get("meta") else None, "results": []}
    for func_name, args in job["calls"]:
        data = {"func_name": func_name, "args": args, "version": "0.0.0", "client": "Office.js",
                "culture_info_name": "en-US", "date_format": "M/d/yyyy", "runtime": "1.4"}
        try:
            out["results"].append({"value": await custom_functions_call(data, module)})
        except Exception as exc:  # the test inspects what xlwings would have done
            out["results"].append({"error": type(exc).__name__, "message": str(exc)})
    return out


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run(json.load(sys.stdin)))))
