"""The sitting integration tests, unchanged, on a three-master Redis Cluster."""

from __future__ import annotations

from engine.services import Services
from tests.integration.test_sitting_flow import (
    test_answer_after_deadline_and_grace_is_refused_and_not_stored,
    test_deadline_from_redis_clock_matches_the_rule,
    test_full_sitting_from_sign_in_to_graded_result,
    test_persister_dying_between_xadd_and_xack_loses_nothing,
    test_resent_batch_is_acknowledged_and_stored_once,
    test_sweeper_auto_submits_at_the_deadline_and_grading_follows,
    test_two_starts_make_one_sitting,
)

__all__ = [
    "test_answer_after_deadline_and_grace_is_refused_and_not_stored",
    "test_deadline_from_redis_clock_matches_the_rule",
    "test_full_sitting_from_sign_in_to_graded_result",
    "test_persister_dying_between_xadd_and_xack_loses_nothing",
    "test_resent_batch_is_acknowledged_and_stored_once",
    "test_sweeper_auto_submits_at_the_deadline_and_grading_follows",
    "test_two_starts_make_one_sitting",
]


async def test_the_cluster_spreads_stream_shards_over_nodes(svc: Services) -> None:
    assert svc.settings.redis_cluster
    nodes = {
        svc.redis.get_node_from_key(svc.keyspace.answer_stream(shard)).name
        for shard in range(svc.keyspace.shards)
    }
    assert len(nodes) == 3  # six shards land on all three masters


async def test_the_hot_lane_routes_by_slot_and_follows_a_redirect(svc: Services) -> None:
    lane = svc.pipelined.shared
    assert lane is not None and lane.cluster
    keys = [svc.keyspace.answer_stream(shard) + ":lane-test" for shard in range(6)]
    by_node = {svc.redis.get_node_from_key(k).name: k for k in keys}
    assert len(by_node) == 3
    here, elsewhere = list(by_node.values())[:2]
    # routed by the slot of its key: the node that holds it answers
    assert await lane.execute("INCRBY", here, 7, key=here) == 7
    # sent to a node that does not hold the key: MOVED, and redis-py takes it where it belongs
    assert await lane.execute("INCRBY", elsewhere, 11, key=here) == 11
    assert await svc.redis.get(here) == b"7"
    assert await svc.redis.get(elsewhere) == b"11"
    await svc.redis.delete(here)
    await svc.redis.delete(elsewhere)
