/* The editor's pages (archive serve --editing): search as you type for a merge target.
   Each .entry-search holds the text input "into"; typing asks its data-url (the register's
   JSON twin, /api/entities/KIND) with ?q=TEXT and lists the reviewed entries found as
   buttons; choosing one puts its id in the input. Without script the typed id or name is sent
   as it is. */
(function () {
  "use strict";

  var DELAY = 200;
  var SHOWN = 8;

  function setUp(box) {
    var input = box.querySelector("input[name=into]");
    var list = box.querySelector(".entry-suggestions");
    var url = box.getAttribute("data-url");  // /api/entities/KIND, the register's JSON twin
    var exclude = box.getAttribute("data-exclude");
    var timer = null;
    var asked = 0;

    function show(entries, text) {
      list.textContent = "";
      var found = entries.filter(function (e) { return e.id !== exclude && !e.proposed; })
        .slice(0, SHOWN);
      if (!found.length) {
        list.textContent = "No entry named “" + text + "”.";
        return;
      }
      found.forEach(function (entry) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "suggestion";
        button.setAttribute("data-id", entry.id);
        button.textContent = entry.name + " (" + entry.id + ")";  // text, never markup
        button.addEventListener("click", function () {
          input.value = entry.id;
          list.textContent = "Chosen: " + entry.name + ".";
          input.focus();
        });
        list.appendChild(button);
      });
    }

    function ask() {
      var text = input.value.trim();
      var number = ++asked;
      if (text.length < 2) { list.textContent = ""; return; }
      window.fetch(url + "?q=" + encodeURIComponent(text) + "&sort=mentions",
                   { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { entries: [] }; })
        .then(function (data) { if (number === asked) { show(data.entries || [], text); } })
        .catch(function () { list.textContent = ""; });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, DELAY);
    });
  }

  document.querySelectorAll(".entry-search").forEach(setUp);
})();
