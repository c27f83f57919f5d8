/* The message template preview follows the typing: a short pause, then one request to
   the preview address with the form's words; the Preview button does the same without
   JavaScript. */
(function () {
  "use strict";
  var form = document.getElementById("template-form");
  var panel = document.getElementById("template-preview");
  if (!form || !panel || !window.fetch) { return; }
  var timer = null;
  var part = function (name) { return panel.querySelector('[data-part="' + name + '"]'); };
  var show = function (answer) {
    part("subject").textContent = answer.subject;
    part("text").textContent = answer.text;
    // The HTML is shown in a sandboxed frame: whatever tags the template holds, they
    // cannot run a script, submit a form or reshape this page.
    part("html").srcdoc = answer.html;
    part("sms").textContent = answer.sms;
    var problems = part("problems");
    problems.textContent = "";
    Object.keys(answer.problems || {}).forEach(function (key) {
      answer.problems[key].forEach(function (text) {
        var line = document.createElement("p");
        line.className = "error";
        line.textContent = text;
        problems.appendChild(line);
      });
    });
  };
  var refresh = function () {
    fetch(form.dataset.previewUrl, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) { if (answer) { show(answer); } })
      .catch(function () { /* the Preview button still works */ });
  };
  // The frame is filled from the form once on opening too, so it never waits for a keystroke.
  refresh();
  form.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 400);
  });
})();
