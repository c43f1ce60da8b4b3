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
  // static/js/poll.js: the polling loop and the small helpers the live pages share.
  var poll = typeof module === "object" && module.exports ? require("./poll.js") : window.BeatPoll;
  var format = poll.format;

  // --- pure helpers (exported for tests under node) --------------------------------------------

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

  /** Keep `container` fresh from `url()`, swapping each changed answer in place while the
   * focus and the scroll position stay where the officer left them. */
  function keepFresh(container, url, seconds, stateNode, strings) {
    poll.keepFresh({
      url: url,
      seconds: seconds,
      stateNode: stateNode,
      strings: strings,
      apply: function (html) {
        var wanted = focusKey(container);
        var x = window.scrollX;
        var y = window.scrollY;
        container.innerHTML = html;
        restoreFocus(container, wanted);
        window.scrollTo(x, y);
      },
    });
  }

  function refreshSeconds(node) {
    return poll.refreshSeconds(node, DEFAULT_REFRESH_SECONDS);
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
    var cannedTexts = poll.readJson("thread-canned", {});
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
    var strings = poll.readJson("inbox-strings", {});
    initList(strings);
    initThread(strings);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
