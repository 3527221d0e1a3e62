"""A minimal course directory for the `course grade` tests (the tests copy it first)."""

from course.pages import feedback_preprocessors

c = get_config()  # noqa: F821 - provided by nbgrader
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.ClearSolutions.code_stub = {"python": "# YOUR ANSWER HERE"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.GenerateAssignment.create_assignment = True
c.GenerateFeedback.preprocessors = feedback_preprocessors()
