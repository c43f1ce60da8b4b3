/* Beat inbox: keeps the conversation list and a thread's messages fresh, and helps with the
 * reply box (live length count for the platform, canned responses, the urgent guidance).
 *
 * Vanilla JavaScript, no build step, no network beyond this site. Every page works without it:
 * the forms post to the server, which fills in a canned response and checks the length itself.
 *
 * Refreshing swaps in server-rendered HTML (escaped by Django's templates) for one container
 * only, so the filter form, the reply box, the scroll position and the focus are left alone.
 * It pauses while the tab is hidden and catches up as soon as it is shown again.
 */
(function () {
  "use strict";

  var DEFAULT_REFRESH_SECONDS = 15;
  var COUNT_DELAY_MS = 300;

  // --- pure helpers (exported for tests under node) --------------------------------------------

  /** "%(name)s" placeholders, as Django's translated strings use them. */
  function format(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
    });
  }

  /** The counter line for one platform's check from /api/v1/posts/preview. */
  function counterText(strings, platform, checked) {
    var isX = platform === "x";
    var line = format(isX ? strings.weighted : strings.length, {
      n: isX ? checked.weighted_length : checked.length,
      max: checked.max,
    });
    if (checked.remaining < 0) line += " \u00b7 " + format(strings.over, { n: -checked.remaining });
    return line;
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  var helpers = { format: format, counterText: counterText };
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

  /** The element holding focus inside `container`, described so it can be found again. */
  function focusKey(container) {
    var active = document.activeElement;
    if (!active || !container.contains(active)) return null;
    var keyed = active.closest("[data-key]");
    return {
      key: keyed ? keyed.getAttribute("data-key") : null,
      href: active.getAttribute("href"),
      id: active.id || null,
    };
  }

  function restoreFocus(container, wanted) {
    if (!wanted) return;
    var target = null;
    if (wanted.id) target = document.getElementById(wanted.id);
    if (!target && wanted.key) {
      var keyed = container.querySelector('[data-key="' + wanted.key + '"]');
      if (keyed && wanted.href) target = keyed.querySelector('[href="' + wanted.href + '"]');
      if (!target && keyed && keyed.matches("a, button, input, select, textarea")) target = keyed;
    }
    if (!target && wanted.href) target = container.querySelector('[href="' + wanted.href + '"]');
    if (target && container.contains(target)) target.focus({ preventScroll: true });
  }

  /** Poll `url()` every `seconds` and put its HTML into `container`, in place. */
  function keepFresh(container, url, seconds, stateNode, strings) {
    var timer = null;
    var busy = false;
    var stopped = false;
    var last = null; // the HTML last put in: an unchanged answer touches nothing

    function say(text) {
      if (stateNode && stateNode.textContent !== text) stateNode.textContent = text;
    }

    function swap(html) {
      if (html === last) return;
      last = html;
      var wanted = focusKey(container);
      var x = window.scrollX;
      var y = window.scrollY;
      container.innerHTML = html;
      restoreFocus(container, wanted);
      window.scrollTo(x, y);
    }

    function tick() {
      if (busy || stopped || document.hidden) return;
      busy = true;
      fetch(url(), {
        credentials: "same-origin",
        headers: { Accept: "text/html", "X-Requested-With": "fetch" },
      })
        .then(function (response) {
          // A signed-out session is redirected to the sign-in page: stop rather than show it.
          if (response.redirected || response.status === 403) {
            stopped = true;
            say(strings.signed_out);
            return null;
          }
          if (!response.ok) throw new Error(String(response.status));
          return response.text();
        })
        .then(function (html) {
          if (html === null) return;
          swap(html.trim());
          say(format(strings.updated, { time: clock() }));
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

  function refreshSeconds(node) {
    var value = parseInt(node.getAttribute("data-refresh-seconds"), 10);
    return value > 0 ? value : DEFAULT_REFRESH_SECONDS;
  }

  function initList(strings) {
    var list = document.getElementById("inbox-list");
    if (!list) return;
    var base = list.getAttribute("data-refresh-url");
    keepFresh(
      list,
      function () {
        // The filters and the page are in the address, exactly as the officer left them.
        return base + window.location.search;
      },
      refreshSeconds(list),
      document.getElementById("inbox-refresh-state"),
      strings
    );
  }

  function initThread(strings) {
    var messages = document.getElementById("thread-messages");
    if (messages) {
      var url = messages.getAttribute("data-refresh-url");
      keepFresh(
        messages,
        function () {
          return url;
        },
        refreshSeconds(messages),
        document.getElementById("thread-refresh-state"),
        strings
      );
    }
    initReplyBox(strings);
  }

  function initReplyBox(strings) {
    var form = document.getElementById("reply-form");
    if (!form) return;
    var text = document.getElementById("reply-text");
    var counter = document.getElementById("reply-counter");
    var canned = document.getElementById("reply-canned_response");
    var cannedTexts = readJson("thread-canned", {});
    var csrf = form.elements.namedItem("csrfmiddlewaretoken").value;
    var previewUrl = form.getAttribute("data-preview-url");
    var account = parseInt(form.getAttribute("data-account"), 10);
    var platform = form.getAttribute("data-platform");

    function fill(value) {
      var current = text.value.trim();
      if (current && current !== value.trim() && !window.confirm(strings.replace)) return false;
      text.value = value;
      text.focus();
      count();
      return true;
    }

    if (canned) {
      canned.addEventListener("change", function () {
        var value = cannedTexts[canned.value];
        if (value !== undefined) fill(value);
      });
    }

    Array.prototype.forEach.call(document.querySelectorAll("[data-fill-reply]"), function (button) {
      var source = document.getElementById(button.getAttribute("data-fill-reply"));
      if (!source) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        fill(source.innerText.trim());
      });
    });

    // --- the live count, from the same endpoint as the post editor -----------------------------

    var sequence = 0;
    var inFlight = null;

    function count() {
      if (!previewUrl || !window.fetch) return;
      var mine = ++sequence;
      if (inFlight && inFlight.abort) inFlight.abort();
      inFlight = window.AbortController ? new window.AbortController() : null;
      counter.textContent = strings.checking;
      fetch(previewUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ text: text.value, accounts: [account] }),
        signal: inFlight ? inFlight.signal : undefined,
      })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (data) {
          if (mine !== sequence) return;
          var checked = data.platforms && data.platforms[platform];
          if (!checked) {
            counter.textContent = strings.check_failed;
            return;
          }
          counter.textContent = counterText(strings, platform, checked);
          counter.classList.toggle("over", !checked.valid);
        })
        .catch(function (error) {
          if (error && error.name === "AbortError") return;
          if (mine === sequence) counter.textContent = strings.check_failed;
        });
    }

    text.addEventListener("input", debounce(count, COUNT_DELAY_MS));
    count();
  }

  function init() {
    if (!window.fetch) return;
    var strings = readJson("inbox-strings", {});
    initList(strings);
    initThread(strings);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
