"""A source-based Jupyter course on the Russian Revolution and the rise of Stalinism, 1917-1940.

Importing the package does nothing but define names; pandas and matplotlib load on first use.

>>> import course
>>> callable(course.load)
True
"""

from course.data import DataError, cite, load, names

__all__ = ["DataError", "cite", "load", "names"]
__version__ = "0.1.0"
