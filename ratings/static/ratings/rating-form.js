// Anchor rating form: keyboard answering, autosaved drafts, time on the form. No dependencies.
(function () {
  "use strict";
  var form = document.getElementById("rating-form");
  if (!form) { return; }
  var items = Array.prototype.slice.call(form.querySelectorAll("fieldset.item"));
  var secondsField = document.getElementById("seconds");
  var status = document.getElementById("save-status");
  var secondsBefore = parseFloat(form.dataset.secondsBefore || "0") || 0;
  var openedAt = Date.now();
  var saveTimer = null;

  function seconds() { return secondsBefore + (Date.now() - openedAt) / 1000; }

  function answers() {
    var result = {};
    items.forEach(function (item) {
      var checked = item.querySelector("input[type=radio]:checked");
      result[item.dataset.code] = checked ? checked.value : null;
    });
    return result;
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

  function focusItem(index) {
    if (index >= 0 && index < items.length) {
      items[index].focus();
      items[index].scrollIntoView({block: "nearest"});
    }
  }

  function pick(item, value) {
    var radio = item.querySelector("input[type=radio][value='" + value + "']");
    if (!radio || item.disabled) { return false; }
    radio.checked = true;
    item.classList.remove("has-error");
    item.querySelector("p.error").textContent = "";
    scheduleSave();
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
    item.addEventListener("change", function () {
      item.classList.remove("has-error");
      item.querySelector("p.error").textContent = "";
      scheduleSave();
    });
  });

  form.addEventListener("submit", function (event) {
    secondsField.value = seconds().toFixed(1);
    var missing = items.filter(function (item) {
      return item.querySelector(".required") && !item.querySelector("input[type=radio]:checked");
    });
    if (missing.length) {
      event.preventDefault();
      missing.forEach(function (item) {
        item.classList.add("has-error");
        item.querySelector("p.error").textContent = "This item is required: choose one of the points.";
      });
      focusItem(items.indexOf(missing[0]));
    }
  });

  window.addEventListener("pagehide", function () {
    if (saveTimer) { clearTimeout(saveTimer); save(); }
  });
  if (items.length && !items[0].disabled) { items[0].focus(); }
})();
