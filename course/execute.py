"""Execute one notebook and capture its answers. Runs *inside* the grading sandbox.

Usage (by :mod:`course.sandbox`, never by hand)::

    python -m course.execute NOTEBOOK NAME [NAME ...]

Executes ``NOTEBOOK`` with a per-cell time limit and a cap on output volume, in the sandbox's
home folder, then reads the named variables as JSON, and prints one report line (``REPORT`` +
JSON: run status, answers, executed notebook) on standard output. ``COURSE_EXECUTOR`` chooses
how: ``shell`` (the default) runs the cells in this process's IPython shell
(:mod:`course.shell`); ``kernel`` starts a Jupyter kernel and runs them through nbclient, as
nbgrader does, at the cost of a second process and its start-up. The grader treats the report
as untrusted: a student's code runs in the same sandbox and could forge it, which can only
change what that student's own answers appear to be.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time

STARTED = time.time()  # the interpreter is up and has imported the course package
MARKER = "@@COURSE-ANSWERS@@"  # starts the capture cell's line of answers
REPORT = "@@COURSE-REPORT@@"  # starts the runner's report on its standard output
CAPTURE = """
def __course_capture(names, namespace):
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
        if _name not in namespace:
            result[_name] = {"error": "not defined"}
            continue
        try:
            if not _plain(namespace[_name]):
                raise TypeError("not a plain value")
            result[_name] = {"value": _json.loads(_json.dumps(namespace[_name], allow_nan=False))}
        except Exception as _error:
            result[_name] = {"error": f"not a plain value ({type(namespace[_name]).__name__})"}
    return _json.dumps(result)
"""
IN_KERNEL = CAPTURE + 'print("@@COURSE-ANSWERS@@" + __course_capture(NAMES, globals()))\n'


def capture(names: list[str], namespace: dict) -> dict:
    """The named variables of ``namespace`` as JSON-safe values, or why each is not one.

    >>> capture(["a", "b"], {"a": [1, "x"], "b": object()})
    {'a': {'value': [1, 'x']}, 'b': {'error': 'not a plain value (object)'}}
    """
    functions: dict = {}
    exec(CAPTURE, functions)  # the code a kernel runs, here outside the student's namespace
    return json.loads(functions["__course_capture"](names, namespace))


def in_shell(path: str, names: list[str], cell_timeout: int, output_limit: int) -> dict:
    """Run the notebook at ``path`` in this process's IPython shell; return the report."""
    started = time.time()
    from course import shell

    with open(path, encoding="utf-8") as handle:
        notebook = json.load(handle)
    timings = {"imports": time.time() - started}
    try:
        status, namespace = shell.run_cells(notebook["cells"], cell_timeout, output_limit)
        timings["cells"] = time.time() - started - timings["imports"]
        answers = capture(names, namespace)
    except BaseException as error:  # any failure is reported as data, never as a traceback
        status = {"status": "crash", "message": f"{type(error).__name__}: {error}"[:300]}
        answers = {}
    report = {"run": status, "answers": answers, "notebook": json.dumps(notebook)}
    return {**report, "timings": timings}


def in_kernel(path: str, names: list[str], cell_timeout: int, output_limit: int) -> dict:
    """Run the notebook at ``path`` in a Jupyter kernel through nbclient; return the report."""
    # jsonschema's optional IRI format checker builds a grammar on import (1.6 s measured
    # here, per sandbox); notebook validation never uses it.
    sys.modules.setdefault("rfc3987_syntax", None)
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, DeadKernelError

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
            capture = nbformat.v4.new_code_cell(IN_KERNEL.replace("NAMES", repr(names)))
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
    return {"run": status, "answers": answers, "notebook": nbformat.writes(notebook)}


def main(argv: list[str]) -> int:
    path, *names = argv
    cell_timeout = int(os.environ.get("COURSE_CELL_TIMEOUT", "30"))
    output_limit = int(os.environ.get("COURSE_OUTPUT_LIMIT", str(1_000_000)))
    cache = os.environ.get("COURSE_MPL_CACHE")
    if cache and os.path.isdir(cache):  # a font cache built once, so matplotlib starts fast
        shutil.copytree(cache, os.environ["MPLCONFIGDIR"], dirs_exist_ok=True)
    run = in_kernel if os.environ.get("COURSE_EXECUTOR") == "kernel" else in_shell
    # The report leaves on a private copy of standard output; what the notebook itself writes
    # to the process's standard output and error (os.write(1, ...)) goes nowhere.
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    nowhere = os.open(os.devnull, os.O_WRONLY)
    os.dup2(nowhere, 1)
    os.dup2(nowhere, 2)
    report = run(path, names, cell_timeout, output_limit)
    timings = report.setdefault("timings", {})
    timings["started"] = STARTED
    # CPU seconds of this process and the children it waited for (a kernel): the grader cannot
    # count them itself, since the sandbox's processes are not its children to wait for
    used = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    timings["cpu"] = sum(u.ru_utime + u.ru_stime for u in used)
    channel.write("\n" + REPORT + json.dumps(report) + "\n")
    channel.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
