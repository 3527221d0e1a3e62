"""Keep library chatter out of the instructor's terminal: warnings and log records go to a file.

>>> import warnings, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "run.log"
>>> with to_file(path):
...     warnings.warn("noisy library")
>>> "noisy library" in path.read_text()
True
"""

from __future__ import annotations

import logging
import warnings
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def to_file(path: Path):
    """For the duration, send every warning and every log record (INFO and up) to ``path``."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.handlers, root.level = [handler], logging.INFO
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        logging.captureWarnings(True)
        try:
            yield path
        finally:
            logging.captureWarnings(False)
            root.handlers, root.level = saved
            handler.close()
