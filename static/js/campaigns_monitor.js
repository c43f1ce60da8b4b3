/* Beat live monitoring: each column of the board polls its own fragment and swaps it in place.
 *
 * Vanilla JavaScript, no build step, no network beyond this site. The board works without it
 * (reload the page; every form posts to the server). As in inbox.js, only the column's list is
 * replaced (HTML escaped by Django's templates), the focus and the scroll positions are kept,
 * polling pauses while the tab is hidden, and an unchanged answer touches nothing. A match not
 * seen before is highlighted at the top of its column and counted in the column's status line.
 */
(function () {
  "use strict";

  var DEFAULT_REFRESH_SECONDS = 15;
  // static/js/poll.js: the polling loop and the small helpers the live pages share.
  var poll = typeof module === "object" && module.exports ? require("./poll.js") : window.BeatPoll;
  var format = poll.format;

  // --- pure helpers (exported for tests under node) --------------------------------------------

  /** The keys in `now` that were not in `before` (both arrays of strings). */
  function newKeys(before, now) {
    var seen = {};
    before.forEach(function (key) {
      seen[key] = true;
    });
    return now.filter(function (key) {
      return !seen[key];
    });
  }

  var helpers = { format: format, newKeys: newKeys };
  if (typeof module === "object" && module.exports) {
    module.exports = helpers;
  }
  if (typeof document === "undefined") {
    return;
  }

  // --- the page --------------------------------------------------------------------------------

  function keysIn(container) {
    return Array.prototype.map.call(container.querySelectorAll("li[data-key]"), function (item) {
      return item.getAttribute("data-key");
    });
  }

  function focusKey(container) {
    var active = document.activeElement;
    if (!active || !container.contains(active)) return null;
    return { key: active.getAttribute("data-key"), href: active.getAttribute("href") };
  }

  function restoreFocus(container, wanted) {
    if (!wanted) return;
    var target = null;
    if (wanted.key) target = container.querySelector('[data-key="' + wanted.key + '"]');
    if (!target && wanted.href) target = container.querySelector('[href="' + wanted.href + '"]');
    if (target) target.focus({ preventScroll: true });
  }

  function keepFresh(container, strings) {
    var url = container.getAttribute("data-column-refresh-url");
    var last = container.innerHTML.trim();
    var known = keysIn(container);

    /** Put a changed column in place; the words that say how many matches are new. */
    function apply(html) {
      var wanted = focusKey(container);
      var scroll = container.scrollTop;
      container.innerHTML = html;
      var fresh = newKeys(known, keysIn(container));
      known = keysIn(container);
      fresh.forEach(function (key) {
        var item = container.querySelector('li[data-key="' + key + '"]');
        if (!item) return;
        item.classList.add("is-new");
        // Let the highlight fade after a while; the text stays where it is.
        setTimeout(function () {
          item.classList.add("settled");
        }, 8000);
      });
      restoreFocus(container, wanted);
      // Reading older matches further down: stay there. At the top: show the new ones.
      container.scrollTop = scroll > 0 ? scroll : 0;
      if (fresh.length === 0) return "";
      return format(fresh.length === 1 ? strings.new_one : strings.new_other, { n: fresh.length }) + ". ";
    }

    poll.keepFresh({
      url: function () {
        return url;
      },
      seconds: poll.refreshSeconds(container, DEFAULT_REFRESH_SECONDS),
      stateNode: document.getElementById(container.getAttribute("data-state")),
      strings: strings,
      // A column deleted in another tab answers 404: stop polling it.
      stopOn: [403, 404],
      initial: last,
      apply: apply,
    });
  }

  function init() {
    if (!window.fetch) return;
    var strings = poll.readJson("monitor-strings", {});
    Array.prototype.forEach.call(document.querySelectorAll("[data-column-refresh-url]"), function (column) {
      keepFresh(column, strings);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
