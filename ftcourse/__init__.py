"""ftcourse: the helper package of the fine-tuning course.

Import the submodules you need (``ftcourse.data``, ``ftcourse.models``, ...); importing the
package itself loads nothing heavy and downloads nothing.
"""

__version__ = "0.1.0"
