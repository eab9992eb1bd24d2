"""The printed handout of a plan: each exercise with its steps and dose, the pain
traffic light (CLINICAL.md §4), the boxed urgent-care list (§5), the therapist's
name and a QR code that opens the patient app.

fpdf2's core fonts (Helvetica) need no font file but hold Latin-1 only, so every
text is folded to it first (accents dropped where Latin-1 has no such letter); the
library's own text is plain ASCII.
"""

import datetime as dt
import io
import unicodedata
from typing import Literal

import segno
from django.db.models import QuerySet
from fpdf import FPDF

from ptrx.links import app_url
from ptrx.plans.domain.adherence import ADVICE
from ptrx.plans.domain.dose import days_text, dose_text, times_a_day_text
from ptrx.plans.domain.red_flags import EMERGENCY_CODES, RED_FLAGS
from ptrx.plans.models import Phase, Plan, Prescription
from ptrx.plans.selectors import plan_with_prescriptions

Paper = Literal["a4", "letter"]
PAPER_FORMATS = {"a4": "A4", "letter": "Letter"}
FONT = "Helvetica"
BODY = 13
LINE = 6.5
MARGIN = 16
QR_SIZE = 30
LIGHT_LABEL = 32
# A new exercise starts on a new page when less than this (mm) is left of the page
# (its name, summary, dose and days), a heading when less than SECTION_ROOM is.
KEEP_TOGETHER = 50
SECTION_ROOM = 22
# Typographic punctuation, and letters with no decomposition, in their plain Latin spelling.
FOLDS = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
        "\u2022": "-", "\u2026": "...", "\u0141": "L", "\u0142": "l", "\u0110": "D", "\u0111": "d",
        "\u0152": "OE", "\u0153": "oe", "\u0131": "i",
    }
)  # fmt: skip

URGENT_TITLE = "Stop exercising and get urgent medical care the same day if you have:"
# CLINICAL.md §4, the traffic light used in clinics, in the patient's words.
TRAFFIC_LIGHT = (
    ((46, 125, 50), (255, 255, 255), "0-3 green", "Carry on."),
    (
        (249, 168, 37),
        (0, 0, 0),
        "4-5 amber",
        "Take care. Do less next time if the pain has not settled by the next morning.",
    ),
    ((198, 40, 40), (255, 255, 255), "6-10 red", "Stop, or change the exercise, and tell your therapist."),
)


def latin1(text: str) -> str:
    """`text` as the core fonts can print it: accents kept where Latin-1 has them,
    otherwise dropped, anything else a question mark."""
    text = unicodedata.normalize("NFC", str(text).translate(FOLDS))
    return "".join(char if ord(char) < 256 else _ascii(char) for char in text)


def _ascii(char: str) -> str:
    return unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode() or "?"


def handout_plans(*, plans: QuerySet[Plan]) -> QuerySet[Plan]:
    """Plans with what the handout prints (patient, therapist, phases, prescriptions and
    exercises) in a fixed number of queries."""
    return plan_with_prescriptions(plans=plans.select_related("patient__user", "patient__therapist"))


def urgent_care_signs() -> list[str]:
    """The emergency questions of the red-flag screen (CLINICAL.md §5), said as signs."""
    return [RED_FLAGS[code][1].rstrip("?") for code in EMERGENCY_CODES]


class _Handout(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=9)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(0, 0, 0)

    def text_block(self, text: str, *, size: float = BODY, style: str = "", height: float = LINE) -> None:
        self.set_font(FONT, style=style, size=size)
        self.multi_cell(0, height, latin1(text), align="L", new_x="LMARGIN", new_y="NEXT")

    def room_for(self, height: float) -> None:
        """A new page unless `height` mm are left above the bottom margin."""
        if self.get_y() + height > self.h - self.b_margin:
            self.add_page()

    def heading(self, text: str) -> None:
        """A section heading, never left alone at the foot of a page."""
        self.room_for(SECTION_ROOM)
        self.text_block(text, style="B")

    def labelled(self, label: str, text: str) -> None:
        self.set_font(FONT, style="B", size=BODY)
        self.write(LINE, latin1(f"{label} "))
        self.set_font(FONT, size=BODY)
        self.write(LINE, latin1(text))
        self.ln(LINE)

    def bullets(self, items: list[str], *, numbered: bool = False) -> None:
        self.set_font(FONT, size=BODY)
        for index, item in enumerate(items, start=1):
            mark = f"{index}." if numbered else "-"
            self.cell(8, LINE, mark)
            self.multi_cell(0, LINE, latin1(item), align="L", new_x="LMARGIN", new_y="NEXT")


def _therapist_name(plan: Plan) -> str:
    therapist = plan.patient.therapist
    return therapist.get_full_name() or therapist.get_username()


def _header(pdf: _Handout, plan: Plan, printed_on: dt.date) -> None:
    qr = io.BytesIO()
    segno.make(app_url(), error="m").save(qr, kind="png", scale=8, border=2)
    top = pdf.get_y()
    pdf.image(qr, x=pdf.w - MARGIN - QR_SIZE, y=top, w=QR_SIZE, h=QR_SIZE, alt_text="QR code: the app")
    pdf.set_right_margin(MARGIN + QR_SIZE + 4)
    first_name = plan.patient.user.first_name or "you"
    pdf.text_block(f"Home exercises for {first_name}", size=22, style="B", height=10)
    pdf.text_block(plan.title, size=BODY)
    pdf.text_block(f"Your therapist: {_therapist_name(plan)}", size=BODY)
    pdf.text_block(f"Printed {printed_on:%d %B %Y}. Scan the code to open your app.", size=10, height=5)
    pdf.set_right_margin(MARGIN)
    pdf.set_y(max(pdf.get_y(), top + QR_SIZE) + 4)


def _urgent_box(pdf: _Handout) -> None:
    top = pdf.get_y()
    pdf.set_x(MARGIN + 3)
    pdf.set_left_margin(MARGIN + 3)
    pdf.set_right_margin(MARGIN + 3)
    pdf.ln(2)
    pdf.set_text_color(160, 0, 0)
    pdf.text_block(URGENT_TITLE, size=BODY + 1, style="B")
    pdf.set_text_color(0, 0, 0)
    pdf.bullets(urgent_care_signs())
    pdf.text_block("Do not explain these away as your usual pain.", size=BODY, style="B")
    pdf.ln(2)
    pdf.set_left_margin(MARGIN)
    pdf.set_right_margin(MARGIN)
    pdf.set_draw_color(160, 0, 0)
    pdf.set_line_width(0.8)
    pdf.rect(MARGIN, top, pdf.w - 2 * MARGIN, pdf.get_y() - top)
    pdf.set_line_width(0.2)
    pdf.set_draw_color(0, 0, 0)
    pdf.ln(5)


def _traffic_light(pdf: _Handout) -> None:
    pdf.text_block("Pain during exercise (0-10): the traffic light", size=15, style="B", height=8)
    width = pdf.w - 2 * MARGIN
    for fill, ink, label, advice in TRAFFIC_LIGHT:
        top = pdf.get_y()
        # The advice first, so the coloured label can be as tall as its lines.
        pdf.set_font(FONT, size=BODY)
        pdf.set_x(MARGIN + LIGHT_LABEL)
        text = latin1(advice)
        pdf.multi_cell(
            width - LIGHT_LABEL, LINE + 1, text, border=1, align="L", padding=(1, 2), new_x="LMARGIN"
        )
        height = pdf.get_y() - top
        pdf.set_xy(MARGIN, top)
        pdf.set_fill_color(*fill)
        pdf.set_text_color(*ink)
        pdf.set_font(FONT, style="B", size=BODY)
        pdf.cell(LIGHT_LABEL, height, label, fill=True, align="C")
        pdf.set_text_color(0, 0, 0)
        pdf.set_y(top + height)
    pdf.text_block("Pain after exercising should settle by the next morning.", size=BODY)
    pdf.ln(4)


def _prescription(pdf: _Handout, prescription: Prescription) -> None:
    exercise = prescription.exercise
    pdf.room_for(KEEP_TOGETHER)
    pdf.set_draw_color(180, 180, 180)
    pdf.line(MARGIN, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())
    pdf.set_draw_color(0, 0, 0)
    pdf.ln(2)
    pdf.text_block(exercise.name, size=16, style="B", height=8)
    if exercise.summary:
        pdf.text_block(exercise.summary, size=12, height=6)
    when = f"{days_text(prescription.days_of_week)}, {times_a_day_text(prescription.sessions_per_day)}"
    if prescription.kind == ADVICE:
        pdf.labelled("Advice:", "read it and keep to it; there is nothing to count.")
    else:
        pdf.labelled(
            "Dose:",
            dose_text(
                sets=prescription.sets,
                reps=prescription.reps,
                hold_seconds=prescription.hold_seconds,
                side=prescription.side,
            ),
        )
    pdf.labelled("When:", when)
    if exercise.equipment and exercise.equipment.lower() != "none":
        pdf.labelled("You need:", exercise.equipment)
    pdf.heading("Steps")
    pdf.bullets(list(exercise.instructions), numbered=True)
    if exercise.cues:
        pdf.heading("Tips")
        pdf.bullets(list(exercise.cues))
    if exercise.cautions:
        pdf.heading("Take care")
        pdf.bullets(list(exercise.cautions))
    if prescription.notes:
        pdf.labelled("From your therapist:", prescription.notes)
    pdf.ln(4)


def _phase(pdf: _Handout, plan: Plan, phase: Phase) -> None:
    now = " (now)" if phase.number == plan.current_phase else ""
    pdf.text_block(f"Phase {phase.number}: {phase.name}{now}", size=18, style="B", height=9)
    if phase.goal:
        pdf.text_block(phase.goal, size=BODY)
    pdf.ln(2)
    prescriptions = list(phase.prescriptions.all())
    if not prescriptions:
        pdf.text_block("Nothing is prescribed in this phase yet.")
    for prescription in prescriptions:
        _prescription(pdf, prescription)


def handout_pdf(*, plan: Plan, every_phase: bool = False, paper: Paper = "a4", printed_on: dt.date) -> bytes:
    """The handout of `plan` (loaded through `handout_plans`): its current phase, or
    every phase, on A4 or US Letter."""
    pdf = _Handout(format=PAPER_FORMATS[paper])
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_title(latin1(f"Home exercises: {plan.title}"))
    pdf.set_creator("ptrx")
    pdf.add_page()
    _header(pdf, plan, printed_on)
    _urgent_box(pdf)
    _traffic_light(pdf)
    phases = [p for p in plan.phases.all() if every_phase or p.number == plan.current_phase]
    for index, phase in enumerate(phases):
        if index:
            pdf.add_page()
        _phase(pdf, plan, phase)
    return bytes(pdf.output())
