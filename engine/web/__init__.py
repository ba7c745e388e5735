"""The pages people see: the student's exam page and the teacher's dashboard, with the
endpoints only the dashboard needs (progress, charts, exports, a student's answers)."""
