// Anchor rating form: keyboard answering, autosaved drafts, time on the form, progress and a
// summary of what is missing. No dependencies.
(function () {
  "use strict";
  var form = document.getElementById("rating-form");
  if (!form) { return; }
  var items = Array.prototype.slice.call(form.querySelectorAll("fieldset.item"));
  var secondsField = document.getElementById("seconds");
  var status = document.getElementById("save-status");
  var answeredCount = document.getElementById("answered-count");
  var answeredBar = document.getElementById("answered-bar");
  var summary = document.getElementById("missing-summary");
  var phone = window.matchMedia("(max-width: 900px)");
  var secondsBefore = parseFloat(form.dataset.secondsBefore || "0") || 0;
  var openedAt = Date.now();
  var saveTimer = null;

  function seconds() { return secondsBefore + (Date.now() - openedAt) / 1000; }
  function checked(item) { return item.querySelector("input[type=radio]:checked"); }

  function answers() {
    var result = {};
    items.forEach(function (item) {
      var radio = checked(item);
      result[item.dataset.code] = radio ? radio.value : null;
    });
    return result;
  }

  function showProgress() {
    var n = items.filter(checked).length;
    if (answeredCount) { answeredCount.textContent = n; }
    if (answeredBar) { answeredBar.value = n; }
  }

  function csrfToken() { return form.querySelector("input[name=csrfmiddlewaretoken]").value; }

  function save() {
    saveTimer = null;
    status.textContent = "Saving…";
    return fetch(form.dataset.autosave, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken()},
      body: JSON.stringify({answers: answers(), seconds: seconds()})
    }).then(function (response) {
      status.textContent = response.ok ? "Draft saved" : "Not saved (" + response.status + ")";
    }).catch(function () { status.textContent = "Not saved: offline?"; });
  }

  function scheduleSave() {
    if (saveTimer) { clearTimeout(saveTimer); }
    saveTimer = setTimeout(save, 400);
  }

  function focusItem(index, options) {
    if (index >= 0 && index < items.length) {
      items[index].focus({preventScroll: true});
      if (!(options && options.noScroll)) { items[index].scrollIntoView({block: "nearest"}); }
    }
  }

  function clearError(item) {
    item.classList.remove("has-error");
    item.querySelector("p.error").textContent = "";
  }

  function answered(item) {
    clearError(item);
    showProgress();
    scheduleSave();
  }

  function pick(item, value) {
    var radio = item.querySelector("input[type=radio][value='" + value + "']");
    if (!radio || item.disabled) { return false; }
    radio.checked = true;
    answered(item);
    return true;
  }

  items.forEach(function (item, index) {
    item.addEventListener("keydown", function (event) {
      if (/^[0-9]$/.test(event.key)) {
        if (pick(item, event.key)) { event.preventDefault(); focusItem(index + 1); }
      } else if (event.key === "ArrowDown") {
        event.preventDefault(); focusItem(index + 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault(); focusItem(index - 1);
      }
    });
    item.addEventListener("change", function () { answered(item); });
  });

  function showMissing(missing) {
    summary.textContent = "";
    var intro = document.createElement("p");
    intro.textContent = missing.length + (missing.length === 1 ? " item still needs an answer:" : " items still need an answer:");
    var list = document.createElement("ul");
    missing.forEach(function (item) {
      var link = document.createElement("a");
      link.href = "#" + item.id;
      link.textContent = item.dataset.number + ". " + item.querySelector("legend").textContent
        .replace(/^\s*\d+\.\s*/, "").replace(/\s*\*\s*\(required\)\s*$/, "").slice(0, 70);
      link.addEventListener("click", function (event) { event.preventDefault(); focusItem(items.indexOf(item)); });
      var entry = document.createElement("li");
      entry.appendChild(link);
      list.appendChild(entry);
    });
    summary.appendChild(intro);
    summary.appendChild(list);
    summary.hidden = false;
  }

  form.addEventListener("submit", function (event) {
    secondsField.value = seconds().toFixed(1);
    var missing = items.filter(function (item) { return item.dataset.required && !checked(item); });
    if (missing.length) {
      event.preventDefault();
      missing.forEach(function (item) {
        item.classList.add("has-error");
        item.querySelector("p.error").textContent = "This item is required: choose one of the points.";
      });
      showMissing(missing);
      focusItem(items.indexOf(missing[0]));
    } else {
      summary.hidden = true;
    }
  });

  // On a phone the material sits above the items; it can be folded away to give them room.
  var toggle = document.getElementById("toggle-material");
  var pane = document.getElementById("material-pane");
  if (toggle && pane) {
    toggle.addEventListener("click", function () {
      var folded = pane.classList.toggle("folded");
      toggle.setAttribute("aria-expanded", folded ? "false" : "true");
      toggle.textContent = folded ? "Show the material" : "Hide the material";
    });
  }

  window.addEventListener("pagehide", function () {
    if (saveTimer) { clearTimeout(saveTimer); save(); }
  });
  showProgress();
  // Focus the first unanswered item (the first one if all are answered); on a phone without
  // scrolling, so the page still opens on the material.
  var first = items.filter(function (item) { return !checked(item); })[0] || items[0];
  if (first && !first.disabled && !document.querySelector(".has-error")) {
    focusItem(items.indexOf(first), {noScroll: phone.matches});
  } else if (document.querySelector("fieldset.item.has-error")) {
    focusItem(items.indexOf(document.querySelector("fieldset.item.has-error")), {noScroll: phone.matches});
  }
})();
