"""Sittings: start, paper, answers, timer, submit, result — the hot path of an exam."""
