"""Admin pages as a browser submits them back: shared by the tests that post change forms."""

from __future__ import annotations

from http import HTTPStatus


def submitted(response) -> dict:
    """The page's form and its inlines' rows as a browser submits them back unchanged (the
    rows it shows, without the blank new row)."""
    assert response.status_code == HTTPStatus.OK
    data: dict = {}

    def add(form) -> None:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            if isinstance(value, list | tuple):
                value = [str(getattr(v, "pk", v)) for v in value]
            data[form.add_prefix(name)] = "on" if value is True else value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.initial_forms:
            add(form)
        data[formset.add_prefix("TOTAL_FORMS")] = str(formset.initial_form_count())
    return data
