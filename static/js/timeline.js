// Progressive enhancement of the timeline's filters: with JavaScript, changing a filter
// updates the results in place (and the address bar, so the URL stays shareable); without
// it, the form is a plain GET form and everything works the same with a click on "Show events".
// The server renders the same page either way: this script fetches it and swaps the parts
// that depend on the filter, so there is one source of truth for what a filter shows.
(function () {
  "use strict";
  var form = document.querySelector("form.filter-form");
  var results = document.querySelector(".timeline-results");
  if (!form || !results || !window.fetch || !window.DOMParser || !history.pushState) return;

  // Parts of the page that depend on the filter, swapped whole.
  var PARTS = [".timeline-head", ".timeline-results", "#errors"];
  var status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  form.appendChild(status);

  var pending = null; // the fetch in flight; a newer change aborts it
  var timer = null;

  function query() {
    // The form's values, empty ones left out: the same URL the server's own links use.
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (String(value).trim() !== "") params.append(key, value);
    });
    if (params.get("order") === "oldest") params.delete("order");
    var text = params.toString();
    return form.getAttribute("action") + (text ? "?" + text : "");
  }

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    PARTS.forEach(function (selector) {
      var now = document.querySelector(selector);
      var next = fresh.querySelector(selector);
      if (now && next) now.replaceWith(next);
      else if (now && !next) now.remove();
      else if (!now && next && selector === "#errors") {
        document.querySelector(".timeline-head").after(next);
      }
    });
    // The form's own error messages and invalid markers come from the server too.
    var freshForm = fresh.querySelector("form.filter-form");
    if (freshForm) {
      form.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
      freshForm.querySelectorAll(".field-error").forEach(function (error) {
        var twin = error.id && document.getElementById(error.id.replace(/_error$/, ""));
        var anchor = twin && form.contains(twin) ? twin.closest(".field, fieldset") : null;
        if (anchor) anchor.appendChild(error);
      });
    }
    document.title = fresh.title;
    var lede = document.querySelector(".timeline-head .lede, #errors h2");
    status.textContent = lede ? lede.textContent.trim() : "";
  }

  function load(url, push) {
    if (pending) pending.abort();
    pending = new AbortController();
    results.setAttribute("aria-busy", "true");
    fetch(url, { signal: pending.signal, headers: { Accept: "text/html" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        if (push) history.pushState({ timeline: true }, "", url);
        swap(html);
        results = document.querySelector(".timeline-results");
      })
      .catch(function (error) {
        if (error.name !== "AbortError") window.location.assign(url); // fall back to a load
      })
      .finally(function () {
        var now = document.querySelector(".timeline-results");
        if (now) now.removeAttribute("aria-busy");
      });
  }

  function changed(event) {
    // Checkboxes, radios and selects apply at once; typed text waits for a pause.
    var typing = event.type === "input";
    clearTimeout(timer);
    timer = setTimeout(function () { load(query(), true); }, typing ? 500 : 0);
  }

  form.addEventListener("change", changed);
  form.addEventListener("input", function (event) {
    if (event.target.matches("input[type=text], input[type=search]")) changed(event);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    load(query(), true);
  });
  window.addEventListener("popstate", function () {
    // Back and forward: show what that URL shows (the form's fields follow on a full load).
    window.location.reload();
  });
})();
