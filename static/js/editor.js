/* Beat post editor: live per-platform preview, policy findings and autosave.
 *
 * Vanilla JavaScript, no build step, no network beyond this site. The page works without it:
 * the server renders the same preview when the page loads and checks everything on save.
 *
 * Offsets from the server (findings' start/end, X's over_from) count Unicode code points, as
 * Python does; JavaScript strings count UTF-16 units, so every offset goes through cpToUnits.
 * User text is only ever inserted with textContent / text nodes, never as HTML.
 */
(function () {
  "use strict";

  var PREVIEW_DELAY_MS = 300;
  var AUTOSAVE_EVERY_MS = 10000;
  var LABELS = { x: "X", facebook: "Facebook" };

  // --- pure helpers (exported for tests under node) --------------------------------------------

  /** The UTF-16 index in `text` of code point number `cp`. */
  function cpToUnits(text, cp) {
    var units = 0;
    var seen = 0;
    while (seen < cp && units < text.length) {
      var code = text.charCodeAt(units);
      var pair = code >= 0xd800 && code <= 0xdbff && units + 1 < text.length;
      units += pair ? 2 : 1;
      seen += 1;
    }
    return units;
  }

  /** "%(name)s" placeholders, as Django's translated strings use them. */
  function format(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
    });
  }

  /** `text` cut into [{text, finding|null}] by the findings' code-point spans.
   *  Overlapping findings are marked as the first one (all are still listed). */
  function segments(text, findings) {
    var chars = Array.from(text);
    var sorted = findings.slice().sort(function (a, b) {
      return a.start - b.start || a.end - b.end;
    });
    var pieces = [];
    var at = 0;
    sorted.forEach(function (finding) {
      if (finding.end <= finding.start || finding.start < at || finding.start > chars.length) {
        return;
      }
      pieces.push({ text: chars.slice(at, finding.start).join(""), finding: null });
      pieces.push({ text: chars.slice(finding.start, finding.end).join(""), finding: finding });
      at = finding.end;
    });
    pieces.push({ text: chars.slice(at).join(""), finding: null });
    return pieces.filter(function (piece) {
      return piece.text.length > 0;
    });
  }

  /** The campaign hashtags `text` lacks, by the policy warning's test: "#" then the tag, not
   *  inside a longer word on either side, ignoring case. */
  function missingTags(text, tags) {
    return (tags || []).filter(function (tag) {
      var body = String(tag).replace(/^[#\uff03]/, "").replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      try {
        return !new RegExp("(^|[^\\p{L}\\p{N}_])#" + body + "(?![\\p{L}\\p{N}_])", "iu").test(text);
      } catch (e) {
        return text.toLowerCase().indexOf("#" + String(tag).slice(1).toLowerCase()) < 0;
      }
    });
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  var helpers = { cpToUnits: cpToUnits, format: format, segments: segments, missingTags: missingTags };
  if (typeof module === "object" && module.exports) {
    module.exports = helpers;
  }
  if (typeof document === "undefined") {
    return;
  }

  // --- the page --------------------------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function readJson(id, fallback) {
    var node = document.getElementById(id);
    if (!node) return fallback;
    try {
      return JSON.parse(node.textContent);
    } catch (e) {
      return fallback;
    }
  }

  function init() {
    var editor = document.querySelector("[data-editor]");
    var form = document.getElementById("post-form");
    if (!editor || !form || !window.fetch) return;

    var strings = readJson("editor-strings", {});
    var storedMedia = readJson("editor-media", []);
    var campaignTags = readJson("editor-campaigns", {});
    var body = form.elements.namedItem("body");
    var csrf = form.elements.namedItem("csrfmiddlewaretoken").value;
    var baseRevision = form.elements.namedItem("base_revision");
    var previewUrl = editor.getAttribute("data-preview-url");
    var autosaveUrl = editor.getAttribute("data-autosave-url");
    var cards = document.getElementById("preview-cards");
    var findingsList = document.getElementById("findings");
    var mirror = document.getElementById("mirror");
    var counters = document.getElementById("counters");
    var summary = document.getElementById("preview-summary");
    var state = document.getElementById("preview-state");
    var autosaveStatus = document.getElementById("autosave-status");
    var mediaSection = document.getElementById("media");

    // What the preview checks: the form as it is now.
    function tickedAccounts() {
      return Array.prototype.filter.call(
        form.querySelectorAll('input[name="accounts"]'),
        function (input) {
          return input.checked;
        }
      );
    }

    function platformTexts() {
      var texts = {};
      Array.prototype.forEach.call(form.querySelectorAll("[data-platform-text]"), function (area) {
        if (area.value.trim()) texts[area.getAttribute("data-platform-text")] = area.value;
      });
      return texts;
    }

    function mediaPayload() {
      var items = storedMedia.map(function (media) {
        var altInput = document.querySelector('[data-media-id="' + media.id + '"] textarea');
        return {
          kind: media.kind,
          content_type: media.content_type,
          size_bytes: media.size_bytes,
          alt_text: altInput ? altInput.value : media.alt_text,
        };
      });
      // A file chosen but not yet attached is checked too, so a problem shows before upload.
      var adder = document.getElementById("media-add");
      var picker = adder && adder.querySelector('input[type="file"]');
      var file = picker && picker.files && picker.files[0];
      if (file && /^(image|video)\//.test(file.type)) {
        var alt = adder.querySelector('textarea[name="alt_text"]');
        items.push({ content_type: file.type, size_bytes: file.size, alt_text: alt ? alt.value : "" });
      }
      return items;
    }

    function payload() {
      var campaign = form.elements.namedItem("campaign");
      return {
        text: body.value,
        accounts: tickedAccounts().map(function (input) {
          return parseInt(input.value, 10);
        }),
        platform_texts: platformTexts(),
        campaign: campaign && campaign.value ? parseInt(campaign.value, 10) : null,
        media: mediaPayload(),
      };
    }

    // --- rendering -----------------------------------------------------------------------------

    function selectInBody(start, end) {
      body.focus();
      body.setSelectionRange(cpToUnits(body.value, start), cpToUnits(body.value, end));
    }

    function findingItem(finding, selectable) {
      var item = el("li", "finding sev-" + finding.severity);
      item.appendChild(el("span", "badge", finding.severity === "block" ? strings.block : strings.warn));
      item.appendChild(document.createTextNode(" "));
      item.appendChild(el("strong", "", finding.rule));
      item.appendChild(document.createTextNode(": " + finding.message));
      if (finding.end > finding.start) {
        item.appendChild(document.createTextNode(" "));
        item.appendChild(el("q", "", finding.excerpt));
        if (selectable) {
          var button = el("button", "", strings.show_in_text);
          button.type = "button";
          button.addEventListener("click", function () {
            selectInBody(finding.start, finding.end);
          });
          item.appendChild(button);
        }
      } else {
        item.appendChild(document.createTextNode(" "));
        item.appendChild(el("em", "", "(" + strings.missing + ")"));
      }
      return item;
    }

    function renderFindings(findings) {
      findingsList.textContent = "";
      if (!findings.length) {
        findingsList.appendChild(el("li", "muted", strings.no_findings));
        return;
      }
      findings.forEach(function (finding) {
        findingsList.appendChild(findingItem(finding, true));
      });
    }

    function renderMirror(findings, text) {
      mirror.textContent = "";
      segments(text, findings).forEach(function (piece) {
        if (!piece.finding) {
          mirror.appendChild(document.createTextNode(piece.text));
          return;
        }
        var mark = el("mark", "sev-" + piece.finding.severity, piece.text);
        mark.title = piece.finding.rule + ": " + piece.finding.message;
        mirror.appendChild(mark);
      });
    }

    function cardText(text, overFrom) {
      var paragraph = el("p", "card-text");
      if (overFrom === null || overFrom === undefined) {
        paragraph.textContent = text;
        return paragraph;
      }
      var cut = cpToUnits(text, overFrom);
      paragraph.appendChild(document.createTextNode(text.slice(0, cut)));
      paragraph.appendChild(el("span", "cut-label", "\u2702 " + strings.cut_here));
      var rest = el("mark", "cut", text.slice(cut));
      rest.title = strings.cut_here;
      paragraph.appendChild(rest);
      return paragraph;
    }

    function renderCard(platform, checked, text) {
      var isX = platform === "x";
      var label = LABELS[platform] || platform;
      var count = isX ? checked.weighted_length : checked.length;
      var counterText = format(isX ? strings.weighted : strings.length, { n: count, max: checked.max });

      var counter = el("span", "counter" + (checked.valid ? "" : " over"), label + ": " + counterText);
      counter.setAttribute("data-counter", platform);
      counters.appendChild(counter);

      var card = el("article", "card card-" + platform);
      card.setAttribute("data-platform", platform);
      var head = el("header", "card-head");
      head.appendChild(el("strong", "", label));
      var accounts = checked.accounts || [];
      if (!accounts.length) head.appendChild(el("span", "handle", strings.your_account));
      accounts.forEach(function (account) {
        var name = account.name && account.name !== account.handle ? account.name + " " : "";
        head.appendChild(el("span", "handle", name + account.handle));
      });
      card.appendChild(head);
      var paragraph = card.appendChild(cardText(text, checked.over_from));
      var campaign = form.elements.namedItem("campaign");
      var added = missingTags(text, campaign && campaignTags[campaign.value]);
      added.forEach(function (tag) {
        paragraph.appendChild(document.createTextNode(" "));
        var ins = el("ins", "campaign-tag", tag);
        ins.title = strings.campaign_added;
        paragraph.appendChild(ins);
      });
      if (added.length) {
        var note = el("p", "campaign-note");
        note.appendChild(el("small", "", strings.campaign_added));
        card.appendChild(note);
      }
      var over = checked.remaining < 0 ? " \u00b7 " + format(strings.over, { n: -checked.remaining }) : "";
      card.appendChild(el("p", "counter" + (checked.valid ? "" : " over"), counterText + over));
      if (checked.media_errors && checked.media_errors.length) {
        var errors = el("ul", "media-errors");
        errors.setAttribute("aria-label", strings.media_errors);
        checked.media_errors.forEach(function (message) {
          errors.appendChild(el("li", "bad", message));
        });
        card.appendChild(errors);
      }
      if (checked.findings && checked.findings.length) {
        // Findings in this platform's own text: listed, not selectable in the main text.
        var own = el("ol", "findings");
        checked.findings.forEach(function (finding) {
          own.appendChild(findingItem(finding, false));
        });
        card.appendChild(own);
      }
      cards.appendChild(card);
      return label + ": " + (checked.valid ? strings.fits : strings.too_long);
    }

    function render(result, sent) {
      cards.textContent = "";
      counters.textContent = "";
      var parts = Object.keys(result.platforms).map(function (platform) {
        var text = sent.platform_texts[platform] || sent.text;
        return renderCard(platform, result.platforms[platform], text);
      });
      renderFindings(result.findings);
      renderMirror(result.findings, sent.text);
      // Read out only when something meaningful changes, not on every keystroke.
      var count = result.findings.length;
      var line =
        parts.join("; ") + ". " + format(count === 1 ? strings.findings_one : strings.findings_other, { n: count });
      if (summary.textContent !== line) summary.textContent = line;
    }

    // --- the live check ------------------------------------------------------------------------

    var sequence = 0;
    var inFlight = null;

    function refresh() {
      var mine = ++sequence;
      if (inFlight && inFlight.abort) inFlight.abort();
      inFlight = window.AbortController ? new window.AbortController() : null;
      var sent = payload();
      state.textContent = strings.checking;
      fetch(previewUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify(sent),
        signal: inFlight ? inFlight.signal : undefined,
      })
        .then(function (response) {
          return response.json().then(function (data) {
            return { ok: response.ok, data: data };
          });
        })
        .then(function (answer) {
          if (mine !== sequence) return;
          if (!answer.ok) {
            var error = answer.data && answer.data.error;
            state.textContent = (error && error.message) || strings.check_failed;
            return;
          }
          state.textContent = "";
          render(answer.data, sent);
        })
        .catch(function (error) {
          if (error && error.name === "AbortError") return;
          if (mine === sequence) state.textContent = strings.check_failed;
        });
    }

    var refreshSoon = debounce(refresh, PREVIEW_DELAY_MS);

    // --- autosave ------------------------------------------------------------------------------

    var dirty = false;
    var saving = false;
    var submitting = false;
    var autosaveStopped = false;

    function autosave() {
      if (!autosaveUrl || !dirty || saving || submitting || autosaveStopped) return;
      saving = true;
      dirty = false;
      fetch(autosaveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": csrf },
        body: new FormData(form),
      })
        .then(function (response) {
          return response.json().then(function (data) {
            return { ok: response.ok, status: response.status, data: data };
          });
        })
        .then(function (answer) {
          if (answer.ok) {
            autosaveStatus.textContent = answer.data.message;
            if (answer.data.revision && baseRevision) baseRevision.value = answer.data.revision;
            return;
          }
          dirty = true;
          var error = answer.data && answer.data.error;
          // A refusal (someone else saved, the post left draft) will not pass on a retry.
          if (answer.status === 409) autosaveStopped = true;
          autosaveStatus.textContent = format(strings.autosave_failed, {
            message: (error && error.message) || "",
          });
        })
        .catch(function () {
          dirty = true;
          autosaveStatus.textContent = format(strings.autosave_failed, { message: strings.check_failed });
        })
        .then(function () {
          saving = false;
        });
    }

    function changed() {
      dirty = true;
      if (autosaveUrl && !autosaveStopped) autosaveStatus.textContent = strings.unsaved;
      refreshSoon();
    }

    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    form.addEventListener("submit", function () {
      submitting = true;
    });
    if (mediaSection) {
      mediaSection.addEventListener("input", refreshSoon);
      mediaSection.addEventListener("change", refreshSoon);
    }
    window.addEventListener("beforeunload", function (event) {
      if (dirty && !submitting) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
    if (autosaveUrl) setInterval(autosave, AUTOSAVE_EVERY_MS);
    refresh();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
