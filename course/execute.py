"""Execute one notebook and capture its answers. Runs *inside* the grading sandbox.

Usage (by :mod:`course.sandbox`, never by hand)::

    python -m course.execute NOTEBOOK NAME [NAME ...]

Executes ``NOTEBOOK`` with a per-cell time limit and a cap on output volume, in the sandbox's
home folder, then asks the same kernel for the named variables as JSON, and prints one report
line (``REPORT`` + JSON: run status, answers, executed notebook) on standard output. The grader
treats the report as untrusted: a student's code runs in the same sandbox and could forge it,
which can only change what that student's own answers appear to be.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

MARKER = "@@COURSE-ANSWERS@@"  # starts the capture cell's line of answers
REPORT = "@@COURSE-REPORT@@"  # starts the runner's report on its standard output
CAPTURE = """
def __course_capture(names):
    import json as _json
    def _plain(value):
        kind = type(value)
        if value is None or kind in (bool, int, float, str):
            return True
        if kind in (list, tuple):
            return all(_plain(item) for item in value)
        if kind is dict:
            return all(type(k) in (str, int) and _plain(v) for k, v in value.items())
        return False
    result = {}
    for _name in names:
        if _name not in globals():
            result[_name] = {"error": "not defined"}
            continue
        try:
            if not _plain(globals()[_name]):
                raise TypeError("not a plain value")
            result[_name] = {"value": _json.loads(_json.dumps(globals()[_name], allow_nan=False))}
        except Exception as _error:
            result[_name] = {"error": f"not a plain value ({type(globals()[_name]).__name__})"}
    return _json.dumps(result)
print("@@COURSE-ANSWERS@@" + __course_capture(NAMES))
"""


def main(argv: list[str]) -> int:
    # jsonschema's optional IRI format checker builds a grammar on import (1.6 s measured
    # here, per sandbox); notebook validation never uses it.
    sys.modules.setdefault("rfc3987_syntax", None)
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, DeadKernelError

    path, *names = argv
    cell_timeout = int(os.environ.get("COURSE_CELL_TIMEOUT", "30"))
    output_limit = int(os.environ.get("COURSE_OUTPUT_LIMIT", str(1_000_000)))
    notebook = nbformat.read(path, as_version=4)

    class CappedClient(NotebookClient):
        """Drops outputs once the notebook's total output passes the limit."""

        written = 0

        def output(self, outs, msg, display_id, cell_index):
            size = len(json.dumps(msg.get("content", {})))
            self.written += size
            if self.written > output_limit:
                if not getattr(self, "_warned", False):
                    self._warned = True
                    outs.append(
                        nbformat.v4.new_output(
                            "stream",
                            name="stdout",
                            text=f"[output limit of {output_limit} bytes reached; more dropped]\n",
                        )
                    )
                return None
            return super().output(outs, msg, display_id, cell_index)

    # The kernel is killed rather than asked to shut down: nothing in it needs saving, and
    # the sandbox around it is torn down anyway.
    client = CappedClient(
        notebook,
        timeout=cell_timeout,
        interrupt_on_timeout=True,
        shutdown_kernel="immediate",
        allow_errors=True,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": os.environ.get("HOME", ".")}},
    )
    status = {"status": "ok", "message": ""}
    answers: dict = {}
    cache = os.environ.get("COURSE_MPL_CACHE")
    if cache and os.path.isdir(cache):  # a font cache built once, so matplotlib starts fast
        shutil.copytree(cache, os.environ["MPLCONFIGDIR"], dirs_exist_ok=True)
    try:
        # the kernel's own stdout and stderr (not cell output) go nowhere: only the report
        # below may reach the grader
        with client.setup_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
            for index, cell in enumerate(notebook.cells):
                started = time.monotonic()
                try:
                    client.execute_cell(cell, index)
                except CellExecutionError:
                    pass
                # nbclient interrupts a cell that runs too long and carries on with the next
                if time.monotonic() - started >= cell_timeout:
                    status = {
                        "status": "timeout",
                        "message": f"cell {index + 1} ran over {cell_timeout} s",
                    }
            capture = nbformat.v4.new_code_cell(CAPTURE.replace("NAMES", repr(names)))
            notebook.cells.append(capture)
            try:
                client.execute_cell(capture, len(notebook.cells) - 1)
            finally:
                notebook.cells.pop()
            text = "".join(o.get("text", "") for o in capture.outputs if o.get("name") == "stdout")
            lines = [line for line in text.splitlines() if line.startswith(MARKER)]
            answers = json.loads(lines[-1][len(MARKER) :]) if lines else {}
    except DeadKernelError:
        status = {"status": "crash", "message": "the kernel died (the notebook ended Python)"}
    except Exception as error:  # report any other failure as data, never as a traceback
        status = {"status": "crash", "message": f"{type(error).__name__}: {error}"[:300]}
    report = {"run": status, "answers": answers, "notebook": nbformat.writes(notebook)}
    sys.stdout.write("\n" + REPORT + json.dumps(report) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
