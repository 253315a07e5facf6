// The fuzzy date field's live reading: as the analyst types, the server reads the text with
// the one date parser (core.dates, through core/date_preview.py) and the answer is shown under
// the field: its bounds and precision, or why it cannot be read. Without JavaScript the reading
// is shown after saving (the "as read" fields), so nothing here is needed to enter a date.
(function () {
  "use strict";
  if (!window.fetch || !window.URLSearchParams) return;

  function attach(input) {
    var output = document.getElementById(input.id + "_reading");
    if (!output || input.dataset.fuzzyDateReady) return;
    input.dataset.fuzzyDateReady = "1";
    var url = input.dataset.datePreview;
    var hint = input.dataset.relativeHint || "";
    var timer = null;
    var pending = null; // the request in flight; a newer keystroke aborts it
    var asked = null; // the text last asked about, so a repeat is not asked again

    function show(answer) {
      var text = answer.reading || "";
      if (answer.relative && hint) text += " " + hint;
      output.textContent = text ? (answer.ok ? "Reads as: " : "") + text : "";
      output.classList.toggle("refused", !answer.ok && !answer.relative && !!text);
      output.classList.toggle("relative", !!answer.relative);
      output.hidden = !text;
    }

    function ask() {
      var text = input.value.trim();
      if (text === asked) return;
      asked = text;
      if (pending) pending.abort();
      if (!text) {
        show({ ok: false, reading: "" });
        return;
      }
      pending = new AbortController();
      var query = new URLSearchParams({ text: text });
      fetch(url + "?" + query.toString(), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: pending.signal,
      })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.json();
        })
        .then(show)
        .catch(function (error) {
          // An aborted request was replaced by a newer one; a failed one leaves the last
          // reading out rather than a wrong one (the save still reads the date).
          if (error.name !== "AbortError") {
            asked = null;
            show({ ok: false, reading: "" });
          }
        });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 200);
    });
    input.addEventListener("change", ask);
    ask(); // the date already in the form
  }

  function attachAll() {
    document.querySelectorAll("input[data-date-preview]").forEach(attach);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", attachAll);
  } else {
    attachAll();
  }
})();
