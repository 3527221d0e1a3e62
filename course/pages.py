"""nbconvert preprocessors for the students' feedback pages (named in ``nbgrader_config.py``).

>>> import nbformat
>>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("rubric")])
>>> nb.cells[0].metadata["course"] = {"grader_only": True}
>>> len(DropGraderNotes().preprocess(nb, {})[0].cells)
0
"""

from __future__ import annotations

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

__all__ = ["ShortTracebacks", "DropGraderNotes", "feedback_preprocessors"]


class ShortTracebacks(Preprocessor):
    """Show each error as its last line only: a traceback's context lines could quote the
    hidden test (and its answer key) that follows a failing check in the same cell."""

    enabled = Bool(True)

    def preprocess_cell(self, cell, resources, index):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = [f"{output['ename']}: {output['evalue']}"]
        return cell, resources


class DropGraderNotes(Preprocessor):
    """Leave out the cells ``course grade`` adds for graders only (each written answer's rubric,
    with its exemplars)."""

    enabled = Bool(True)

    def preprocess(self, nb, resources):
        nb.cells = [c for c in nb.cells if not c.metadata.get("course", {}).get("grader_only")]
        return nb, resources


def feedback_preprocessors():
    """nbgrader's feedback preprocessors with the course's two added, in order."""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import ClearHiddenTests, GetGrades

    return [
        GetGrades,
        ClearHiddenTests,
        DropGraderNotes,
        ShortTracebacks,
        CSSHTMLHeaderPreprocessor,
    ]
