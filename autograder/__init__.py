"""The grader of course 236759: builds the assignments and grades notebooks from outside the student's kernel.

Subpackages, by concern:
- `boundary/`: the student's kernel as a separate process, and everything that crosses to it
  (process, Jupyter channel, the bridge loop that runs in the kernel, the wire codec and test model);
- `checks/`: the checks framework (suites, comparisons, input strategies) and one hidden-check module
  per assignment;
- `grading/`: grading one submission (engine, worker) and a folder of them (batch, cache), with the
  result record;
- `reports/`: the grade table, feedback, Gradescope results and the Gradescope entry point;
- `build/`: master notebook -> student folder and autograder zip;
- `course.py`: the course folder, its assignments (discovered) and their configuration;
- `cli.py`: the `diffcourse` command, a thin layer over the above.
"""
