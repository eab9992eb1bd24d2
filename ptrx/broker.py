"""The embedded default's broker: kombu's filesystem transport, each message written
whole before a worker can see it.

kombu writes a message straight into its final file, so a worker polling the folder
can take it while it is still empty and stop with "Unrecoverable error:
JSONDecodeError" (kombu issue 1551 reports the error). Here the message is written
under a name no queue matches, then renamed into place, which is atomic within one
filesystem. Selected by the broker URL `ptrx-filesystem://` (settings).
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

SCHEME = "ptrx-filesystem"


class Channel(filesystem.Channel):
    # The signature of kombu's filesystem channel, which its stubs mark as an override too.
    def _put(self, queue: str, payload: dict[str, Any], **kwargs: Any) -> None:  # type: ignore[override]
        # kombu's own file name (oldest first by the monotonic clock), and a temporary
        # one without ".<queue>.msg", so no consumer takes the file half written.
        name = f"{round(time.monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".writing-{uuid.uuid4().hex}")
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel


TRANSPORT_ALIASES[SCHEME] = "ptrx.broker:Transport"
