/* Beat content calendar: drag a post onto another day (month) or hour slot (week, day) to
 * move it. No library, no build step.
 *
 * Items the person may move carry draggable="true", data-move-url and data-time ("HH:MM",
 * agency time). Drop targets carry data-drop-date ("YYYY-MM-DD") and, in the week and day
 * views, data-drop-hour. A month drop keeps the time of day; an hour drop takes the slot's
 * hour and keeps the minutes. The server answers JSON; on success the page is reloaded, and
 * shows the server's message. Each draggable item also has a "Move…" link to a form page,
 * so nothing here is needed to move a post from the keyboard.
 */
(function () {
  "use strict";

  const grid = document.querySelector("[data-calendar]");
  if (!grid) {
    return;
  }
  const live = document.getElementById("cal-live");
  const tokenInput = grid.querySelector("input[name=csrfmiddlewaretoken]");
  let dragged = null;

  function say(text, isError) {
    if (!live) {
      return;
    }
    live.textContent = text;
    live.classList.toggle("error", Boolean(isError));
  }

  function pad(n) {
    return String(n).padStart(2, "0");
  }

  function dropTarget(node) {
    return node instanceof Element ? node.closest("[data-drop-date]") : null;
  }

  function clearHighlight() {
    grid.querySelectorAll(".cal-drop-over").forEach(function (el) {
      el.classList.remove("cal-drop-over");
    });
  }

  function newTime(item, slot) {
    const time = item.dataset.time || "09:00";
    if (slot.dataset.dropHour !== undefined) {
      const minutes = time.split(":")[1] || "00";
      return slot.dataset.dropDate + "T" + pad(slot.dataset.dropHour) + ":" + minutes;
    }
    return slot.dataset.dropDate + "T" + time;
  }

  function move(item, slot) {
    const at = newTime(item, slot);
    const body = new FormData();
    body.append("at", at);
    if (tokenInput) {
      body.append("csrfmiddlewaretoken", tokenInput.value);
    }
    item.classList.add("cal-moving");
    say(grid.dataset.movingText || "…", false);
    fetch(item.dataset.moveUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "X-CSRFToken": tokenInput ? tokenInput.value : "",
      },
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return { ok: false, message: "" };
          })
          .then(function (data) {
            return { ok: response.ok && data.ok, message: data.message };
          });
      })
      .then(function (result) {
        if (result.ok) {
          // Show the item where it was dropped at once; the reload redraws the grid with
          // the stored time and shows the server's message.
          const items = slot.querySelector(".cal-slot-items") || slot;
          items.appendChild(item);
          say(result.message, false);
          window.location.reload();
        } else {
          item.classList.remove("cal-moving");
          say(result.message || grid.dataset.errorText, true);
        }
      })
      .catch(function () {
        item.classList.remove("cal-moving");
        say(grid.dataset.errorText, true);
      });
  }

  grid.addEventListener("dragstart", function (event) {
    const item =
      event.target instanceof Element ? event.target.closest("[data-move-url]") : null;
    if (!item) {
      return;
    }
    dragged = item;
    item.classList.add("cal-dragging");
    event.dataTransfer.effectAllowed = "move";
    // Firefox starts a drag only when some data is set.
    event.dataTransfer.setData("text/plain", item.dataset.moveUrl);
  });

  grid.addEventListener("dragend", function () {
    if (dragged) {
      dragged.classList.remove("cal-dragging");
    }
    dragged = null;
    clearHighlight();
  });

  grid.addEventListener("dragover", function (event) {
    const slot = dropTarget(event.target);
    if (!dragged || !slot) {
      return;
    }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!slot.classList.contains("cal-drop-over")) {
      clearHighlight();
      slot.classList.add("cal-drop-over");
    }
  });

  grid.addEventListener("dragleave", function (event) {
    const slot = dropTarget(event.target);
    if (slot && !slot.contains(event.relatedTarget)) {
      slot.classList.remove("cal-drop-over");
    }
  });

  grid.addEventListener("drop", function (event) {
    const slot = dropTarget(event.target);
    const item = dragged;
    clearHighlight();
    if (!item || !slot) {
      return;
    }
    event.preventDefault();
    const from = item.parentElement ? dropTarget(item.parentElement) : null;
    if (from === slot) {
      return;
    }
    move(item, slot);
  });
})();
