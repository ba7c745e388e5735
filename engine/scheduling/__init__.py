"""Scheduling national mock exams: events, sessions, rooms and seats, forms, registration,
allocation, pre-created sittings, paper warm-up, views and exports, and the capacity forecast."""
