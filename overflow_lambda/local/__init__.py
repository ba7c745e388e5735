"""Lambda without AWS: a local Runtime API, real ``awslambdaric`` runtime clients, and an SQS
poller playing the event source mapping, all on loopback (see overflow_lambda/README.md)."""
