"""nbgrader configuration: this repository is the course directory.

Authors write assignments once, in solutions/ (nbgrader's *source*); `course release` (or
`nbgrader generate_assignment`) writes the student copies to exercises/ (nbgrader's *release*).
Grading folders (submitted/, autograded/, feedback/) and gradebook.db are git-ignored.
"""

import os

from course.pages import feedback_preprocessors

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "russian-revolution"
# The course directory is the folder holding this file, wherever nbgrader is started from.
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# Student copies keep the answer variable defined as None, so a blank notebook runs top to
# bottom and every check says "not answered yet" instead of stopping at the first question.
c.ClearSolutions.code_stub = {"python": "# YOUR ANSWER HERE"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.ClearSolutions.enforce_metadata = True
# The six assignments (01-collapse-and-recovery ... 06-what-if-trotsky) enter the gradebook the
# first time `nbgrader generate_assignment` runs on them.
c.GenerateAssignment.create_assignment = True
c.Exchange.assignment_dir = "."
# Each cell may run for at most a minute when nbgrader itself executes a notebook.
c.ExecutePreprocessor.timeout = 60
c.Execute.timeout = 60
# When nbgrader runs a notebook, tracebacks give the error message only, not the surrounding
# source: a failing visible check must not print the hidden test that follows it in the cell.
c.Execute.extra_arguments = ["--InteractiveShell.xmode=Minimal"]
# Feedback shows test cells without their hidden tests, no graders' rubric cells, and errors
# without their context lines (a submission could switch the traceback mode back with %xmode).
c.GenerateFeedback.preprocessors = feedback_preprocessors()
