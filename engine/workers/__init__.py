"""Background consumers: the answer persister, the grader and the deadline sweeper."""
