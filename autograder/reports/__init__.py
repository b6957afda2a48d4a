"""What a grading run writes: grade table, feedback, Gradescope results."""
