"""nbgrader configuration: this repository is the course directory.

Authors write assignments once, in solutions/ (nbgrader's *source*); `course release` (or
`nbgrader generate_assignment`) writes the student copies to exercises/ (nbgrader's *release*).
Grading folders (submitted/, autograded/, feedback/) and gradebook.db are git-ignored.
"""

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "russian-revolution"
c.CourseDirectory.root = "."
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.db_assignments = [
    {"name": slug}
    for slug in (
        "01-collapse-and-recovery",
        "02-the-party-transformed",
        "03-counting-the-dead",
        "04-reading-partisan-sources",
        "05-why-stalin",
        "06-what-if-trotsky",
    )
]
# Student copies keep the answer variable defined as None, so a blank notebook runs top to
# bottom and every check says "not answered yet" instead of stopping at the first question.
c.ClearSolutions.code_stub = {"python": "# YOUR ANSWER HERE"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.ClearSolutions.enforce_metadata = True
c.GenerateAssignment.create_assignment = True
c.Exchange.assignment_dir = "."
# Each cell may run for at most a minute when nbgrader itself executes a notebook.
c.ExecutePreprocessor.timeout = 60
c.Execute.timeout = 60
