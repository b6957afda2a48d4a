"""The kernel boundary: the student's kernel process, its Jupyter channel, and the bridge that calls into it."""
