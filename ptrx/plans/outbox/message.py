"""The outbox's email message."""

from __future__ import annotations

from email.policy import Compat32
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from ptrx.links import site_host


def _message_id(kind: str, pk: int) -> str:
    # Stable per row, so a receiving server can spot the rare duplicate (a sender
    # killed between handing the message over and recording it).
    return f"<ptrx.{kind}.{pk}@{site_host()}>"


class _OneLineHeaders(Compat32):
    """The policy Django's messages use (compat32), without its costly folding for a
    header that fits on one line as it is (printable ASCII, at most 78 characters
    with its name): the same bytes, faster."""

    def fold_binary(self, name: str, value: Any) -> bytes:
        if (
            isinstance(value, str)
            and self.max_line_length
            and len(name) + len(value) + 2 <= self.max_line_length
            and value.isascii()
            and value.isprintable()
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_ONE_LINE_HEADERS = _OneLineHeaders()


class OutboxEmail(EmailMultiAlternatives):
    """An outbox message, turned into bytes with the policy above (folding the headers
    was most of the cost of building a message, itself a quarter of a sender's time)."""

    def message(self) -> Any:
        message = super().message()
        message.policy = _ONE_LINE_HEADERS  # the generator uses it for the parts too
        return message


def outbox_message(
    *, kind: str, pk: int, to: str, subject: str, body: str, html_body: str
) -> EmailMultiAlternatives:
    message = OutboxEmail(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": _message_id(kind, pk)},
    )
    if html_body:
        message.attach_alternative(html_body, "text/html")
    return message
