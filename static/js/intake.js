/* "Bring in a page": the confirm screen without reloads. Progressive enhancement only: the
   form works the same without this file (the fields of a proposal's kind come first, the
   others are folded away; the suggestion is used by ticking "Use the suggestion"). */
(function () {
  "use strict";

  function fieldName(div) {
    var match = /(?:^|\s)field-([a-z_]+)/.exec(div.className);
    return match ? match[1] : "";
  }

  // Changing a proposal's kind brings that kind's fields up and folds the others away.
  function showKind(fieldset, kinds) {
    var select = fieldset.querySelector(".field-kind select");
    var kind = select ? select.value : "";
    var wanted = kinds[kind] || [];
    var main = fieldset.querySelector(".intake-kind-fields");
    var other = fieldset.querySelector(".intake-other .intake-grid");
    if (!main || !other) { return; }
    var fields = Array.prototype.slice.call(fieldset.querySelectorAll(".intake-grid > .intake-field"));
    fields.sort(function (a, b) {
      return wanted.indexOf(fieldName(a)) - wanted.indexOf(fieldName(b));
    });
    fields.forEach(function (div) {
      (wanted.indexOf(fieldName(div)) >= 0 ? main : other).appendChild(div);
    });
    fieldset.dataset.kind = kind;
    var heading = fieldset.querySelector("h2");
    if (heading && heading.dataset.id) { heading.textContent = heading.dataset.id + " · " + (kind || "?"); }
  }

  // An unkept proposal is dimmed, so what will be saved reads at a glance.
  function showKept(fieldset) {
    var keep = fieldset.querySelector(".field-keep input");
    if (keep) { fieldset.classList.toggle("intake-dropped", !keep.checked); }
  }

  // "Use the suggestion" as a button: copies it into the summary, to edit in one's own words.
  function suggestionButton(div) {
    var summary = div.querySelector("textarea");
    var suggested = div.querySelector(".intake-suggested");
    if (!summary || !suggested) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button intake-use";
    button.textContent = "Copy into the summary";
    button.addEventListener("click", function () {
      summary.value = suggested.textContent;
      summary.focus();
    });
    suggested.parentNode.appendChild(button);
  }

  // The date's reading as the analyst types (the admin's own reading, core.date_preview).
  function liveReading(form) {
    var url = form.dataset.datePreview;
    if (!url || !window.fetch) { return; }
    form.querySelectorAll(".field-date input").forEach(function (input) {
      var reading = input.parentNode.querySelector(".intake-date-reading");
      if (!reading) { return; }
      var timer = null;
      input.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(function () {
          fetch(url + "?text=" + encodeURIComponent(input.value), { credentials: "same-origin" })
            .then(function (response) { return response.ok ? response.json() : null; })
            .then(function (answer) { if (answer) { reading.textContent = answer.reading || "—"; } })
            .catch(function () { /* the reading after saving still says it */ });
        }, 250);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.intake-confirm");
    if (!form) { return; }
    liveReading(form);
    var kinds = {};
    try { kinds = JSON.parse(form.dataset.kinds || "{}"); } catch (e) { kinds = {}; }
    form.querySelectorAll(".intake-proposal").forEach(function (fieldset) {
      var heading = fieldset.querySelector("h2");
      var id = fieldset.querySelector("input[name$='-id']");
      if (heading && id && id.value) { heading.dataset.id = id.value; }
      var select = fieldset.querySelector(".field-kind select");
      if (select) { select.addEventListener("change", function () { showKind(fieldset, kinds); }); }
      var keep = fieldset.querySelector(".field-keep input");
      if (keep) { keep.addEventListener("change", function () { showKept(fieldset); }); }
      showKept(fieldset);
      fieldset.querySelectorAll(".field-summary").forEach(suggestionButton);
    });
  });
})();
