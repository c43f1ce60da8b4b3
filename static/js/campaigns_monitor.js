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

  // --- pure helpers (exported for tests under node) --------------------------------------------

  function format(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
    });
  }

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

  function readJson(id, fallback) {
    var node = document.getElementById(id);
    if (!node) return fallback;
    try {
      return JSON.parse(node.textContent);
    } catch (e) {
      return fallback;
    }
  }

  function clock() {
    var now = new Date();
    var pad = function (n) {
      return (n < 10 ? "0" : "") + n;
    };
    return pad(now.getHours()) + ":" + pad(now.getMinutes());
  }

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
    var seconds = parseInt(container.getAttribute("data-refresh-seconds"), 10);
    if (!(seconds > 0)) seconds = DEFAULT_REFRESH_SECONDS;
    var stateNode = document.getElementById(container.getAttribute("data-state"));
    var timer = null;
    var busy = false;
    var stopped = false;
    var last = container.innerHTML.trim();
    var known = keysIn(container);

    function say(text) {
      if (stateNode && stateNode.textContent !== text) stateNode.textContent = text;
    }

    function swap(html) {
      if (html === last) return 0;
      last = html;
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
      return fresh.length;
    }

    function tick() {
      if (busy || stopped || document.hidden) return;
      busy = true;
      fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "text/html", "X-Requested-With": "fetch" },
      })
        .then(function (response) {
          if (response.redirected || response.status === 403 || response.status === 404) {
            stopped = true;
            say(strings.signed_out);
            return null;
          }
          if (!response.ok) throw new Error(String(response.status));
          return response.text();
        })
        .then(function (html) {
          if (html === null) return;
          var fresh = swap(html.trim());
          var line = format(strings.updated || "", { time: clock() });
          if (fresh > 0) {
            line = format(fresh === 1 ? strings.new_one : strings.new_other, { n: fresh }) + ". " + line;
          }
          say(line);
        })
        .catch(function () {
          say(strings.refresh_failed);
        })
        .then(function () {
          busy = false;
        });
    }

    function start() {
      if (timer === null && !stopped) timer = setInterval(tick, seconds * 1000);
    }

    function stop() {
      clearInterval(timer);
      timer = null;
    }

    document.addEventListener("visibilitychange", function () {
      if (document.hidden) {
        stop();
        say(strings.paused);
      } else {
        tick();
        start();
      }
    });
    start();
  }

  function init() {
    if (!window.fetch) return;
    var strings = readJson("monitor-strings", {});
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
