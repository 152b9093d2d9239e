"""The seed guide's producer and consumer patterns, run with Microsoft's azure-eventhub for Python.

Reads a JSON plan on stdin (connection string, hub, CA certificate, what to send, what the hub
already holds), talks to the emulator only through the public SDK API, and prints one JSON
document on stdout with what it saw. The jest test that starts the emulator and the gateway
decides pass or fail from that document; this script only stops early (exit 1) when the SDK
raises.
"""

import datetime
import json
import sys
import threading
import time

from azure.eventhub import EventData, EventHubConsumerClient, EventHubProducerClient

RECEIVE_TIMEOUT_S = 30.0


def producer_client(plan):
    return EventHubProducerClient.from_connection_string(
        conn_str=plan["connection_string"],
        eventhub_name=plan["eventhub_name"],
        connection_verify=plan["ca_cert"],
        retry_total=1,
    )


def consumer_client(plan):
    return EventHubConsumerClient.from_connection_string(
        conn_str=plan["connection_string"],
        consumer_group="$Default",
        eventhub_name=plan["eventhub_name"],
        connection_verify=plan["ca_cert"],
        retry_total=1,
    )


def text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else value


def describe(partition_id, event):
    body = event.body_as_str()
    return {
        "partition": partition_id,
        "sequence_number": event.sequence_number,
        "offset": event.offset,
        "enqueued_ms": int(event.enqueued_time.timestamp() * 1000),
        "partition_key": text(event.partition_key),
        "message_id": text(event.message_id),
        "content_type": event.content_type,
        "properties": {text(k): text(v) for k, v in (event.properties or {}).items()},
        "body_length": len(body),
        "body": body if len(body) <= 1024 else None,
    }


def hub_properties(producer):
    props = producer.get_eventhub_properties()
    return {
        "name": props["eventhub_name"],
        "partition_ids": producer.get_partition_ids(),
        "created_at_ms": int(props["created_at"].timestamp() * 1000),
        "partitions": {
            pid: {
                k: v
                for k, v in producer.get_partition_properties(pid).items()
                if k != "last_enqueued_time_utc"
            }
            for pid in props["partition_ids"]
        },
    }


def send_all(plan, producer):
    """The guide's producer: fill a batch until add() raises ValueError, send it, start a new one."""
    report = {"batches": [], "keyed": [], "by_partition_id": 0}
    batch = producer.create_batch()
    report["default_max_size_in_bytes"] = batch.max_size_in_bytes
    # Readings with a large payload, so that the hub's 1 MB bound is reached after a few.
    payload = "x" * plan["batch_reading_payload_bytes"]
    for i in range(plan["batch_readings"]):
        reading = {"sensor_id": "py-batch", "seq": i, "payload": payload}
        try:
            batch.add(EventData(json.dumps(reading)))
        except ValueError:
            report["batches"].append({"events": len(batch), "bytes": batch.size_in_bytes})
            producer.send_batch(batch)
            batch = producer.create_batch()
            batch.add(EventData(json.dumps(reading)))
    report["batches"].append({"events": len(batch), "bytes": batch.size_in_bytes})
    producer.send_batch(batch)

    # partition_key: the service hashes the key; the same key always lands on the same partition.
    for key in plan["keys"]:
        keyed = producer.create_batch(partition_key=key)
        keyed.add(EventData(json.dumps({"sensor_id": key, "kind": "keyed"})))
        producer.send_batch(keyed)
        report["keyed"].append(key)

    # partition_id: straight to one partition.
    pinned = producer.create_batch(partition_id=plan["pinned_partition"])
    for i in range(plan["pinned_events"]):
        event = EventData(json.dumps({"sensor_id": "py-pinned", "seq": i}))
        event.properties = {"origin": "python", "seq": i}
        event.message_id = f"py-pinned-{i}"
        pinned.add(event)
    producer.send_batch(pinned)
    report["by_partition_id"] = plan["pinned_events"]
    return report


def send_buffered(plan):
    """Buffered mode: the SDK itself hashes each partition_key and sends to the partition it picks."""
    placed = []
    producer = EventHubProducerClient.from_connection_string(
        conn_str=plan["connection_string"],
        eventhub_name=plan["eventhub_name"],
        connection_verify=plan["ca_cert"],
        buffered_mode=True,
        max_wait_time=0.1,
        on_success=lambda events, partition_id: placed.extend(
            (json.loads(e.body_as_str())["sensor_id"], partition_id) for e in events
        ),
        on_error=lambda events, partition_id, error: placed.append(("error", repr(error))),
    )
    with producer:
        for key in plan["buffered_keys"]:
            producer.send_event(EventData(json.dumps({"sensor_id": key, "kind": "buffered"})), partition_key=key)
        producer.flush()
    return placed


def receive(plan, want, **receive_kwargs):
    """client.receive(on_event=...) until `want(events)` is true or the timeout; closes the client."""
    client = consumer_client(plan)
    events = []
    done = threading.Event()
    errors = []

    def on_event(partition_context, event):
        if event is None:
            return
        events.append(describe(partition_context.partition_id, event))
        if want(events):
            done.set()

    def on_error(partition_context, error):
        errors.append(repr(error))

    worker = threading.Thread(
        target=client.receive,
        kwargs={"on_event": on_event, "on_error": on_error, **receive_kwargs},
        daemon=True,
    )
    worker.start()
    done.wait(RECEIVE_TIMEOUT_S)
    client.close()
    worker.join(10)
    return {"events": list(events), "complete": done.is_set(), "errors": errors}


def receive_from_latest(plan, producer, partition_id):
    """"@latest" sees only what is sent after the receiver attached; keep sending until one arrives."""
    before = producer.get_partition_properties(partition_id)["last_enqueued_sequence_number"]
    client = consumer_client(plan)
    events = []
    arrived = threading.Event()

    def on_event(partition_context, event):
        if event is not None:
            events.append(describe(partition_context.partition_id, event))
            arrived.set()

    worker = threading.Thread(
        target=client.receive,
        kwargs={"on_event": on_event, "partition_id": partition_id, "starting_position": "@latest"},
        daemon=True,
    )
    worker.start()
    deadline = time.monotonic() + RECEIVE_TIMEOUT_S
    markers = 0
    while not arrived.is_set() and time.monotonic() < deadline:
        marker = producer.create_batch(partition_id=partition_id)
        marker.add(EventData(json.dumps({"marker": markers})))
        producer.send_batch(marker)
        markers += 1
        arrived.wait(0.3)
    client.close()
    worker.join(10)
    return {"sequence_before": before, "markers_sent": markers, "events": events}


def receive_positions(plan, reference):
    """Each start position the SDK offers, one receiver per position, all at once."""
    positions = {
        "sequence_inclusive": {"starting_position": reference["sequence_number"], "starting_position_inclusive": True},
        "sequence_exclusive": {"starting_position": reference["sequence_number"]},
        "offset_inclusive": {"starting_position": reference["offset"], "starting_position_inclusive": True},
        "offset_exclusive": {"starting_position": reference["offset"]},
        "enqueued_time": {
            "starting_position": datetime.datetime.fromtimestamp(
                reference["enqueued_ms"] / 1000, datetime.timezone.utc
            )
        },
    }
    results = {}

    def one(name, kwargs):
        # The first event delivered is what shows where the receiver started.
        got = receive(plan, lambda events: len(events) >= 1, partition_id=reference["partition"], **kwargs)
        results[name] = {"first": got["events"][0] if got["events"] else None, "errors": got["errors"]}

    workers = [threading.Thread(target=one, args=item) for item in positions.items()]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results


def main():
    plan = json.load(sys.stdin)
    result = {"seconds": {}}
    clock = time.monotonic()

    def lap(name):
        nonlocal clock
        now = time.monotonic()
        result["seconds"][name] = round(now - clock, 2)
        clock = now

    producer = producer_client(plan)
    with producer:
        result["before"] = hub_properties(producer)
        lap("management")
        result["sent"] = send_all(plan, producer)
    result["buffered"] = send_buffered(plan)
    lap("sends")
    sent = (
        sum(b["events"] for b in result["sent"]["batches"])
        + len(plan["keys"])
        + plan["pinned_events"]
        + len(plan["buffered_keys"])
    )

    # The guide's consumer: every partition from the beginning, on_event with partition_context.
    total = plan["events_already_in_hub"] + sent
    result["from_beginning"] = receive(plan, lambda events: len(events) >= total, starting_position="-1")
    lap("receive_from_beginning")

    pinned = [e for e in result["from_beginning"]["events"] if e["partition"] == plan["pinned_partition"]]
    if len(pinned) >= 3:
        result["reference_event"] = pinned[1]
        result["positions"] = receive_positions(plan, pinned[1])
    lap("start_positions")

    with producer_client(plan) as latest_producer:
        result["latest"] = receive_from_latest(plan, latest_producer, plan["pinned_partition"])
    lap("latest")
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
