"""Grading: validation, scoring, leaderboard thresholds and medals, reports."""

from medalist.grading.grade import (
    grade_jsonl,
    grade_submission,
    read_answers,
    report_for_score,
    score_frame,
    task_thresholds,
)
from medalist.grading.jsonl import SubmissionLine, read_submission_jsonl
from medalist.grading.medals import MedalRanks, Thresholds, load_leaderboard, medal_ranks, thresholds_from_scores
from medalist.grading.report import CompetitionReport, GradingSummary
from medalist.grading.validate import AlignedSubmission, check_submission_format, read_csv_file, validate_frame

__all__ = [
    "AlignedSubmission",
    "CompetitionReport",
    "GradingSummary",
    "MedalRanks",
    "SubmissionLine",
    "Thresholds",
    "check_submission_format",
    "grade_jsonl",
    "grade_submission",
    "load_leaderboard",
    "medal_ranks",
    "read_answers",
    "read_csv_file",
    "read_submission_jsonl",
    "report_for_score",
    "score_frame",
    "task_thresholds",
    "thresholds_from_scores",
    "validate_frame",
]
