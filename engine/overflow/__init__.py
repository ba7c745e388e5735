"""Overflow: past a cluster utilisation threshold, jobs run on AWS Lambda instead of here.

Every job kind (grading a sitting, persisting a batch of answers, cross-sitting forensics)
goes through one ``Dispatcher``: below the threshold a job runs in this process, above it the
job is sent to SQS and the ``overflow_lambda`` handler runs the same code (``execute.py``)
against the same PostgreSQL and Redis. A job that cannot be sent runs here: nothing is dropped.

**Standard queue, not FIFO.** The jobs are independent and order-free (a grading reads the
sitting's latest answers, the answer log is unique on (exam, sitting, seq)), so FIFO's ordering
buys nothing, while its limits cost a lot at the deadline: 300 messages/s per API action (3,000
batched) against a burst of tens of thousands of jobs a second, a message group blocked behind
a poison message until it reaches the DLQ, and a deduplication window of only five minutes,
which would not replace idempotent handlers anyway. A standard queue delivers at least once;
every job carries a ``job_id`` (derived from the stream entry it came from, so a replayed entry
gets the same id) and the Lambda applies it once through powertools' idempotency layer on Redis,
on top of handlers that are idempotent by construction.
"""
