"""The exercise library in the admin: find an exercise, read it as a patient will, and
see (and edit) where it sits on its ladder."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from ptrx.exercises.ladders import ladder_problems
from ptrx.exercises.models import Branch, Exercise
from ptrx.exercises.picker import ExercisePickerView, picker_filters
from ptrx.exercises.selectors import exercises_for_branch
from ptrx.exercises.services import exercise_save, exercises_delete


class LinesField(forms.CharField):
    """A JSON list of short texts edited as a textarea, one item per line."""

    widget = forms.Textarea

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 6, "cols": 90}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(map(str, value)) if isinstance(value, list | tuple) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list | tuple):
            return [str(line) for line in value]
        return [line.strip() for line in str(value or "").splitlines() if line.strip()]


class ExerciseForm(forms.ModelForm):
    instructions = LinesField(help_text="One step per line, in the order the patient does them.")
    cues = LinesField(required=False, help_text="One tip per line.")
    cautions = LinesField(required=False, help_text='One per line, each completing "Stop if ...".')
    branches = forms.MultipleChoiceField(
        choices=Branch.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Where the exercise is most relevant.",
    )

    class Meta:
        model = Exercise
        fields = (
            "name", "slug", "category", "branches", "summary", "is_active",
            "instructions", "cues", "cautions", "position", "equipment", "per_side", "media_url",
            "sets", "reps", "hold_seconds", "sessions_per_day", "days_per_week", "level", "progression",
        )  # fmt: skip

    def clean_branches(self) -> list[str]:
        order = [value for value, _label in Branch.choices]
        return sorted(self.cleaned_data["branches"], key=order.index)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if not self.errors:
            for problem in self._new_ladder_problems(cleaned):
                self.add_error(None, problem)
        return cleaned

    def _new_ladder_problems(self, cleaned: dict[str, Any]) -> list[str]:
        """Ladder problems this edit would add (levels must rise up a ladder, no loops),
        checked over the whole library by the same rules the fixture loader uses."""
        rows = list(Exercise.objects.values("pk", "slug", "level", "progression__slug"))
        old_slug = self.instance.slug if self.instance.pk else None
        before = [
            {"slug": row["slug"], "level": row["level"], "progression": row["progression__slug"]}
            for row in rows
        ]
        progression = cleaned.get("progression")
        edited = {
            "slug": cleaned.get("slug"),
            "level": cleaned.get("level"),
            "progression": progression.slug if progression else None,
        }
        after = [
            {
                **entry,
                "progression": edited["slug"] if entry["progression"] == old_slug else entry["progression"],
            }
            for entry, row in zip(before, rows, strict=True)
            if row["pk"] != self.instance.pk
        ]
        after.append(edited)
        known = set(ladder_problems(before))
        return [problem for problem in ladder_problems(after) if problem not in known]


class BranchFilter(admin.SimpleListFilter):
    title = "branch"
    parameter_name = "branch"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return list(Branch.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Exercise]) -> QuerySet[Exercise]:
        branch = self.value()
        if branch in Branch.values:
            return exercises_for_branch(queryset, branch=branch)
        return queryset


def _change_link(pk: int, text: str) -> SafeString:
    return format_html('<a href="{}">{}</a>', reverse("admin:exercises_exercise_change", args=[pk]), text)


@admin.register(Exercise)
class ExerciseAdmin(admin.ModelAdmin):
    form = ExerciseForm
    list_display = ("name", "category", "level", "position", "branch_list", "per_side", "is_active")
    list_filter = ("category", BranchFilter, "position", "level", "is_active")
    search_fields = ("name", "slug", "summary")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("progression",)
    readonly_fields = ("ladder", "as_the_patient_sees_it", "updated_at", "branch_list")
    fieldsets = (
        (None, {"fields": ("name", "slug", "category", "branches", "summary", "is_active")}),
        ("How to do it", {"fields": ("instructions", "cues", "cautions", "as_the_patient_sees_it")}),
        ("Set-up", {"fields": ("position", "equipment", "per_side", "media_url")}),
        (
            "Default dose",
            {"fields": ("sets", "reps", "hold_seconds", "sessions_per_day", "days_per_week")},
        ),
        ("Ladder", {"fields": ("level", "progression", "ladder")}),
        (None, {"fields": ("updated_at",)}),
    )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None or self.has_change_permission(request, obj):
            return self.fieldsets
        # Read-only (a therapist): the lists as the patient reads them, not as stored.
        stored = {"instructions", "cues", "cautions"}
        return [
            (
                name,
                {
                    **options,
                    "fields": tuple(
                        "branch_list" if field == "branches" else field
                        for field in options["fields"]
                        if field not in stored
                    ),
                },
            )
            for name, options in self.fieldsets
        ]

    @admin.display(description="branches")
    def branch_list(self, exercise: Exercise) -> str:
        return ", ".join(exercise.branches)

    @admin.display(description="ladder (easiest first)")
    def ladder(self, exercise: Exercise) -> SafeString | str:
        if exercise.pk is None:
            return "Saved exercises show their ladder here."
        # One query for the whole library, then walk the links in memory.
        rows = {row["pk"]: row for row in Exercise.objects.values("pk", "name", "level", "progression_id")}
        down = {row["progression_id"]: pk for pk, row in rows.items() if row["progression_id"]}
        bottom = exercise.pk
        seen = {bottom}
        while bottom in down and down[bottom] not in seen:
            bottom = down[bottom]
            seen.add(bottom)
        chain, current, seen = [], bottom, set()
        while current is not None and current not in seen:
            seen.add(current)
            chain.append(rows[current])
            current = rows[current]["progression_id"]
        steps = format_html_join(
            "",
            "<li>{}</li>",
            (
                (
                    format_html("<strong>{} (level {}, this exercise)</strong>", row["name"], row["level"])
                    if row["pk"] == exercise.pk
                    else format_html("{} (level {})", _change_link(row["pk"], row["name"]), row["level"]),
                )
                for row in chain
            ),
        )
        easier = exercise.regression_or_none
        harder = exercise.progression
        return format_html(
            '<ol class="ladder">{}</ol><p>Easier: {} &nbsp;·&nbsp; Harder: {}</p>',
            steps,
            _change_link(easier.pk, easier.name) if easier else "none (bottom of the ladder)",
            _change_link(harder.pk, harder.name) if harder else "none (top of the ladder)",
        )

    @admin.display(description="as the patient sees it")
    def as_the_patient_sees_it(self, exercise: Exercise) -> SafeString | str:
        if not exercise.instructions:
            return "No instructions yet."

        def items(texts: list[str]) -> SafeString:
            return format_html_join("", "<li>{}</li>", ((text,) for text in texts))

        parts = [format_html("<p>{}</p><ol>{}</ol>", exercise.summary, items(exercise.instructions))]
        if exercise.cues:
            parts.append(format_html("<p><strong>Tips</strong></p><ul>{}</ul>", items(exercise.cues)))
        if exercise.cautions:
            parts.append(format_html("<p><strong>Stop if</strong></p><ul>{}</ul>", items(exercise.cautions)))
        return format_html(
            '<div class="patient-view">{}</div>', format_html_join("", "{}", ((p,) for p in parts))
        )

    def save_model(self, request: HttpRequest, obj: Exercise, form: Any, change: bool) -> None:
        exercise_save(exercise=obj)

    def delete_model(self, request: HttpRequest, obj: Exercise) -> None:
        exercises_delete(exercises=Exercise.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Exercise]) -> None:
        exercises_delete(exercises=queryset)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Exercise], search_term: str
    ) -> tuple[QuerySet[Exercise], bool]:
        queryset, search_term = picker_filters(queryset, search_term)
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # Prescribing offers only exercises still in use; the library list shows all.
        if (
            request.path.endswith(("/autocomplete/", "/picker/"))
            and request.GET.get("model_name") == "prescription"
        ):
            queryset = queryset.filter(is_active=True)
        return queryset, may_have_duplicates

    def get_urls(self) -> list[URLPattern]:
        picker = path(
            "picker/",
            self.admin_site.admin_view(ExercisePickerView.as_view(admin_site=self.admin_site)),
            name="exercises_exercise_picker",
        )
        return [picker, *super().get_urls()]
