/* Beat's live pages (the inbox, a thread, the monitoring board): poll a server-rendered fragment
 * and hand each changed answer to the page, which swaps it in place.
 *
 * Vanilla JavaScript, no build step, no network beyond this site. Polling pauses while the tab
 * is hidden and catches up as soon as it is shown again; an unchanged answer touches nothing;
 * a signed-out session (redirected to the sign-in page) stops it rather than show that page.
 * In the browser it is window.BeatPoll; under node, module.exports (for the helpers' tests).
 */
(function (root) {
  "use strict";

  /** "%(name)s" placeholders, as Django's translated strings use them. */
  function format(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
    });
  }

  /** The JSON in <script id="..." type="application/json"> (Django's json_script), or fallback. */
  function readJson(id, fallback) {
    var node = document.getElementById(id);
    if (!node) return fallback;
    try {
      return JSON.parse(node.textContent);
    } catch (e) {
      return fallback;
    }
  }

  /** The time now as HH:MM, for "updated at" lines. */
  function clock() {
    var now = new Date();
    var pad = function (n) {
      return (n < 10 ? "0" : "") + n;
    };
    return pad(now.getHours()) + ":" + pad(now.getMinutes());
  }

  /**
   * Poll options.url() every options.seconds. Each answer that differs from the last one goes to
   * options.apply(html), which puts it in the page and may return words to put before the
   * "updated" line. options.stateNode shows that line (or paused / failed / signed out, from
   * options.strings). Statuses in options.stopOn (403 by default) stop the polling, as a
   * redirect does. options.initial is the HTML already on the page, if it should count as seen.
   */
  function keepFresh(options) {
    var strings = options.strings || {};
    var stopOn = options.stopOn || [403];
    var timer = null;
    var busy = false;
    var stopped = false;
    var last = options.initial === undefined ? null : options.initial;

    function say(text) {
      var node = options.stateNode;
      if (node && node.textContent !== text) node.textContent = text;
    }

    function tick() {
      if (busy || stopped || document.hidden) return;
      busy = true;
      fetch(options.url(), {
        credentials: "same-origin",
        headers: { Accept: "text/html", "X-Requested-With": "fetch" },
      })
        .then(function (response) {
          if (response.redirected || stopOn.indexOf(response.status) !== -1) {
            stopped = true;
            say(strings.signed_out);
            return null;
          }
          if (!response.ok) throw new Error(String(response.status));
          return response.text();
        })
        .then(function (html) {
          if (html === null) return;
          html = html.trim();
          var before = "";
          if (html !== last) {
            last = html;
            before = options.apply(html) || "";
          }
          say(before + format(strings.updated || "", { time: clock() }));
        })
        .catch(function () {
          say(strings.refresh_failed);
        })
        .then(function () {
          busy = false;
        });
    }

    function start() {
      if (timer === null && !stopped) timer = setInterval(tick, options.seconds * 1000);
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

  /** The element's data-refresh-seconds, or `fallback` when it is missing or not positive. */
  function refreshSeconds(node, fallback) {
    var value = parseInt(node.getAttribute("data-refresh-seconds"), 10);
    return value > 0 ? value : fallback;
  }

  var api = {
    format: format,
    readJson: readJson,
    clock: clock,
    keepFresh: keepFresh,
    refreshSeconds: refreshSeconds,
  };
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.BeatPoll = api;
  }
})(this);
