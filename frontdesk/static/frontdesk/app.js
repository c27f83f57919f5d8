// Needlepoint front desk: small enhancements; every page works without them.
(function () {
  "use strict";

  // Patient search as you type: fetch matches as JSON and list them.
  function searchAsYouType(form) {
    var input = form.querySelector("input[type=search]");
    var list = document.getElementById("patient-results");
    var status = document.getElementById("patient-results-status");
    var timer = null, latest = 0;
    function show(results) {
      list.textContent = "";
      results.forEach(function (p) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = form.dataset.bookQuery ? p.book_url + "?" + form.dataset.bookQuery : p.url;
        var strong = document.createElement("strong");
        strong.textContent = p.name;
        a.appendChild(strong);
        li.appendChild(a);
        [ "born " + p.date_of_birth, p.phone, p.email ].forEach(function (text) {
          if (!text) return;
          var span = document.createElement("span");
          span.textContent = text;
          li.appendChild(span);
        });
        list.appendChild(li);
      });
      status.textContent = results.length + (results.length === 1 ? " patient found." : " patients found.");
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) { list.textContent = ""; status.textContent = ""; return; }
      timer = setTimeout(function () {
        var ticket = ++latest;
        fetch(form.dataset.searchUrl + "?q=" + encodeURIComponent(q), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (data) { if (ticket === latest) show(data.results); });
      }, 180);
    });
  }

  // Today's line: moves with the clock (server time, so a wrong PC clock does not matter).
  function nowLine(line) {
    var dayStart = Number(line.dataset.dayStart), minutes = Number(line.dataset.dayMinutes);
    var skew = Number(line.dataset.serverNow) - Date.now();
    function place() {
      var offset = (Date.now() + skew - dayStart) / 60000;
      if (offset < 0 || offset > minutes) { line.hidden = true; return; }
      line.hidden = false;
      line.style.top = (offset / minutes * 100) + "%";
    }
    place();
    setInterval(place, 60000);
  }

  // Proposal tabs: one click (or arrow keys) between the best plan and the alternatives.
  function tabs(list) {
    var buttons = Array.prototype.slice.call(list.querySelectorAll("[role=tab]"));
    function select(button) {
      buttons.forEach(function (b) {
        var on = b === button;
        b.setAttribute("aria-selected", on ? "true" : "false");
        b.tabIndex = on ? 0 : -1;
        document.getElementById(b.getAttribute("aria-controls")).hidden = !on;
      });
      button.focus();
    }
    buttons.forEach(function (b, i) {
      b.addEventListener("click", function () { select(b); });
      b.addEventListener("keydown", function (e) {
        if (e.key === "ArrowRight") { select(buttons[(i + 1) % buttons.length]); e.preventDefault(); }
        if (e.key === "ArrowLeft") { select(buttons[(i - 1 + buttons.length) % buttons.length]); e.preventDefault(); }
      });
    });
  }

  // A hold's countdown.
  function countdown(box) {
    var left = Number(box.dataset.remaining), out = box.querySelector(".remaining");
    var timer = setInterval(function () {
      left = Math.max(0, left - 1);
      var m = Math.floor(left / 60), s = left % 60;
      out.textContent = left ? m + " min " + (s < 10 ? "0" : "") + s + " s" : "no time: confirm now if the slots are still free";
      if (!left) clearInterval(timer);
    }, 1000);
  }

  // A table wider than a phone scrolls inside itself: make it reachable from the keyboard.
  function scrollableTables() {
    document.querySelectorAll("table.table").forEach(function (table) {
      if (table.scrollWidth > table.clientWidth + 1) {
        table.tabIndex = 0;
      } else {
        table.removeAttribute("tabindex");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    scrollableTables();
    window.addEventListener("resize", scrollableTables);
    document.querySelectorAll("details").forEach(function (d) { d.addEventListener("toggle", scrollableTables); });
    document.querySelectorAll("form[data-search-url]").forEach(searchAsYouType);
    document.querySelectorAll(".now[data-day-start]").forEach(nowLine);
    document.querySelectorAll("[role=tablist]").forEach(tabs);
    document.querySelectorAll(".hold-timer[data-remaining]").forEach(countdown);
  });
})();
