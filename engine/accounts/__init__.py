"""Organisations, classes, users, enrolment, exam access and proctor actions, with their audit."""
