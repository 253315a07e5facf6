/* Rows of the grouped inlines (templates/admin/relations/edit_inline/grouped_tabular.html):
   a row added with "Add another" types its new footnote in the source of the row above,
   as the server already does for the rows it shows. Progressive: without it, the analyst
   picks the source. A static file (CSP: no inline scripts). */
"use strict";
document.addEventListener("formset:added", (event) => {
    const row = event.target;
    if (!(row instanceof Element) || !row.closest(".grouped-tabular")) {
        return;
    }
    const source = row.querySelector("select[name$='-source']");
    if (!source || source.value) {
        return;
    }
    let above = row.previousElementSibling;
    while (above) {
        const chosen = above.querySelector("select[name$='-source']");
        if (chosen && chosen.value && chosen.selectedOptions.length) {
            const option = chosen.selectedOptions[0];
            source.append(new Option(option.text, option.value, true, true));
            source.dispatchEvent(new Event("change", { bubbles: true }));
            return;
        }
        above = above.previousElementSibling;
    }
});
