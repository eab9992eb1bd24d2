"""Outbox messages skip the email package's header folding where it would change
nothing: their bytes must be those of a plain Django message."""

import pytest
from django.core.mail import EmailMultiAlternatives

from ptrx.plans.outbox import OutboxEmail

SUBJECTS = [
    "Time for today's exercises",
    "Ann O'Neil: ready for phase 2, waiting for your review",
    "A subject long enough that it has to be folded over more than one line of the message header",
    "Zoë: plan stepped back to phase 1",
    "tabs\tand  double  spaces, =?not-encoded?= text",
    " leading and trailing spaces ",
]


# Addresses go to the header policy as plain strings (subjects as Header objects).
RECIPIENTS = [
    "zoe@example.com",
    "Zoë Patient <zoe@example.com>",
    "a.patient.with.a.very.long.address.that.needs.folding@a-long-clinic-domain.example.com",
    "An Exceedingly Long Display Name For Someone <long.name.for.someone@clinic.example.com>",
]


@pytest.mark.parametrize(("subject", "to"), list(zip(SUBJECTS, RECIPIENTS * 2, strict=False)))
def test_outbox_bytes_are_a_plain_messages_bytes(subject: str, to: str) -> None:
    def build(cls: type[EmailMultiAlternatives]) -> bytes:
        message = cls(
            subject=subject,
            body="Hello Zoë,\n\nYour plan for today.\n",
            from_email="ptrx <no-reply@clinic.example>",
            to=[to],
            headers={
                "Message-ID": "<ptrx.notification.1@clinic.example>",
                "Date": "Sun, 22 Nov 2026 03:00:00 -0000",
            },
        )
        message.attach_alternative("<p>Hello Zoë,</p>", "text/html")
        # The MIME boundary is random: fix it for both.
        mime = message.message()
        mime.set_boundary("BOUNDARY")
        return mime.as_bytes()

    assert build(OutboxEmail) == build(EmailMultiAlternatives)
