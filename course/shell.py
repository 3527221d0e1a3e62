"""Execute a notebook's code cells in this process's IPython shell, recording what a Jupyter
kernel would send: streams, rich displays, results and errors. Runs *inside* the sandbox.

A kernel costs a second process, a ZMQ session and its start-up for every submission, though
grading needs only the cells' effects and outputs: scores are computed outside the sandbox.
The shell here is the one an IPython kernel wraps (magics, ``get_ipython()``, display hooks,
input transformers all behave as in a notebook). A cell that runs longer than its limit is
interrupted with ``KeyboardInterrupt``, as a kernel is, and the next cell runs; output past the
limit is dropped with a note.

>>> cells = [{"cell_type": "code", "source": "x = 6 * 7\\nx", "outputs": []}]
>>> status, namespace = run_cells(cells, cell_timeout=5, output_limit=10_000)
>>> status["status"], namespace["x"], cells[0]["outputs"][0]["data"]["text/plain"]
('ok', 42, '42')
"""

from __future__ import annotations

import io
import json
import signal
import sys
import time

from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

__all__ = ["run_cells"]


class _Recorder:
    """The outputs of the cell being run, capped in total size."""

    def __init__(self, limit: int) -> None:
        self.limit, self.written, self.outputs, self.dropped = limit, 0, [], False

    def add(self, output: dict) -> None:
        self.written += len(json.dumps(output, default=str))
        if self.written > self.limit:
            if not self.dropped:
                self.dropped = True
                self.outputs.append(_stream("stdout", f"[output limit of {self.limit} bytes "
                                                      "reached; more dropped]\n"))  # fmt: skip
            return
        last = self.outputs[-1] if self.outputs else None
        if output["output_type"] == "stream" and last and last.get("name") == output["name"]:
            last["text"] += output["text"]  # consecutive writes to one stream make one output
        else:
            self.outputs.append(output)


def _stream(name: str, text: str) -> dict:
    return {"output_type": "stream", "name": name, "text": text}


class _Stream(io.TextIOBase):
    def __init__(self, recorder: _Recorder, name: str) -> None:
        self.recorder, self.name = recorder, name

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        text = str(text)
        if text:
            self.recorder.add(_stream(self.name, text))
        return len(text)


def _shell(recorder: _Recorder):
    """An IPython shell whose displays, results and errors go to ``recorder``."""

    class Publisher(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False,
                    **kwargs) -> None:  # fmt: skip
            recorder.add({"output_type": "display_data", "data": data,
                          "metadata": metadata or {}})  # fmt: skip

        def clear_output(self, wait=False) -> None:
            recorder.outputs.clear()

    class Results(DisplayHook):
        def write_output_prompt(self) -> None:
            pass

        def write_format_data(self, format_dict, md_dict=None) -> None:
            recorder.add({"output_type": "execute_result", "data": format_dict,
                          "metadata": md_dict or {},
                          "execution_count": self.shell.execution_count})  # fmt: skip

        def finish_displayhook(self) -> None:
            pass

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"
    # plain Python tracebacks: IPython's default (with context lines) cost 10 ms an error here
    config.InteractiveShell.xmode = "Plain"
    shell = InteractiveShell.instance(
        config=config, display_pub_class=Publisher, displayhook_class=Results
    )

    def show_traceback(etype, evalue, stb) -> None:
        recorder.add({"output_type": "error", "ename": getattr(etype, "__name__", str(etype)),
                      "evalue": str(evalue), "traceback": list(stb)})  # fmt: skip

    shell._showtraceback = show_traceback
    return shell


def run_cells(cells: list[dict], cell_timeout: int, output_limit: int) -> tuple[dict, dict]:
    """Run the code cells of ``cells`` (notebook JSON, changed in place: outputs and counts).

    Returns:
        ``(status, namespace)``: the run's status (``ok``, or ``timeout`` with the cell that ran
        over) and the shell's user namespace, from which the grader's answers are read.
    """
    recorder = _Recorder(output_limit)
    shell = _shell(recorder)
    status = {"status": "ok", "message": ""}

    def interrupt(signum, frame):
        signal.setitimer(signal.ITIMER_REAL, 1)  # and again, if the cell swallows it
        raise KeyboardInterrupt

    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Stream(recorder, "stdout"), _Stream(recorder, "stderr")
    try:
        for index, cell in enumerate(cells):
            if cell.get("cell_type") != "code":
                continue
            recorder.outputs = []
            started = time.monotonic()
            signal.signal(signal.SIGALRM, interrupt)
            signal.setitimer(signal.ITIMER_REAL, cell_timeout)
            try:
                shell.run_cell("".join(cell.get("source", "")), store_history=True)
            except KeyboardInterrupt:  # the interrupt landed outside the cell's own code
                pass
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            cell["outputs"], cell["execution_count"] = recorder.outputs, shell.execution_count - 1
            if time.monotonic() - started >= cell_timeout:
                status = {
                    "status": "timeout",
                    "message": f"cell {index + 1} ran over {cell_timeout} s",
                }
    finally:
        sys.stdout, sys.stderr = saved
    return status, shell.user_ns
