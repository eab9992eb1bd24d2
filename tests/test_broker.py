"""The embedded default's broker hands a worker only whole messages (ptrx/broker.py)."""

import threading
from pathlib import Path

from kombu import Connection

import ptrx.broker  # noqa: F401  (registers ptrx-filesystem://)

MESSAGES = 200
BODY = "x" * 100_000  # large enough that a write takes a while


def _connection(folder: Path) -> Connection:
    return Connection(
        "ptrx-filesystem://",
        transport_options={
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "control_folder": str(folder / "control"),
        },
    )


def test_a_consumer_polling_while_messages_are_written_reads_each_whole_and_once(tmp_path: Path) -> None:
    (tmp_path / "control").mkdir()
    received: list[int] = []
    errors: list[BaseException] = []

    def consume() -> None:
        with _connection(tmp_path) as connection:
            queue = connection.SimpleQueue("test")
            try:
                while len(received) < MESSAGES:
                    message = queue.get(timeout=20)
                    assert message.payload["body"] == BODY
                    received.append(message.payload["n"])
                    message.ack()
            except BaseException as exc:  # a half-written file: JSONDecodeError
                errors.append(exc)
            finally:
                queue.close()

    # The queue's binding is written to the control folder first, before anyone reads it:
    # kombu writes that file in place too, and this test is about the messages.
    with _connection(tmp_path) as connection:
        connection.SimpleQueue("test").close()
    reader = threading.Thread(target=consume)
    reader.start()
    with _connection(tmp_path) as connection:
        queue = connection.SimpleQueue("test")
        for n in range(MESSAGES):
            queue.put({"n": n, "body": BODY})
        queue.close()
    reader.join(timeout=60)
    assert not errors
    assert sorted(received) == list(range(MESSAGES))
    assert not [path.name for path in tmp_path.iterdir() if path.name.startswith(".writing-")]
