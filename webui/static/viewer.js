// The reading view's small helpers: type toggles (CSS does them too) and the registry card.
// No inline script anywhere: this file is the page's only script (see the CSP header).
"use strict";

(function () {
  const text = document.getElementById("ui-text");
  if (!text) return;

  // Toggles: mirror each checkbox as a class, for browsers without CSS :has().
  for (const box of document.querySelectorAll("input.toggle[data-type]")) {
    const sync = () => text.classList.toggle("hide-" + box.dataset.type, !box.checked);
    box.addEventListener("change", sync);
    sync();
  }

  // Choice pairs: the reader-wide switch (diplomatic / normalised) and one pair at a time
  // (click, Enter or Space on a focused pair).
  const diplomatic = document.getElementById("ui-diplomatic");
  if (diplomatic) {
    const sync = () => text.classList.toggle("diplomatic", diplomatic.checked);
    diplomatic.addEventListener("change", sync);
    sync();
  }
  function flip(pair) {
    pair.classList.toggle("flip");
  }
  text.addEventListener("click", (event) => {
    const pair = event.target.closest(".choice.pair");
    if (pair && !event.target.closest("a")) flip(pair);
  });
  text.addEventListener("keydown", (event) => {
    const pair = event.target.closest && event.target.closest(".choice.pair");
    if (pair && pair === event.target && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      flip(pair);
    }
  });

  const card = document.getElementById("ui-card");
  const fields = document.getElementById("ui-card-fields");
  const labels = { person: "Person", place: "Place", org: "Organisation" };
  let opener = null;

  function row(term, value, href) {
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    if (href) {
      const a = document.createElement("a");
      a.href = href;
      a.rel = "noopener noreferrer";
      a.textContent = value;
      dd.appendChild(a);
    } else {
      dd.textContent = value;
    }
    fields.append(dt, dd);
  }

  function show(entity) {
    // textContent only: registry names are data, never markup
    document.getElementById("ui-card-type").textContent = labels[entity.type] || entity.type;
    document.getElementById("ui-card-name").textContent = entity.name;
    fields.replaceChildren();
    if (entity.variants.length) row("Also named", entity.variants.join(" · "));
    if (entity.birth || entity.death) row("Life", (entity.birth || "?") + " – " + (entity.death || "?"));
    if (entity.geo) row("Coordinates", entity.geo[0].toFixed(4) + ", " + entity.geo[1].toFixed(4));
    for (const idno of entity.idnos) row(idno.type, idno.value, idno.url && /^https:\/\//.test(idno.url) ? idno.url : null);
    row("Mentions", entity.mentions + " in " + entity.documents + (entity.documents === 1 ? " document" : " documents"));
    if (entity.proposed) row("Status", "proposed, not yet reviewed");
    document.getElementById("ui-card-link").href = entity.url;
    card.hidden = false;
    document.getElementById("ui-card-close").focus();
  }

  function close() {
    card.hidden = true;
    if (opener) opener.focus();
  }

  text.addEventListener("click", async (event) => {
    const link = event.target.closest("a[data-entity]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    opener = link;
    try {
      const response = await fetch("/api/entities/" + encodeURIComponent(link.dataset.entity));
      if (!response.ok) throw new Error(response.statusText);
      show(await response.json());
    } catch (error) {
      window.location.href = link.href; // the entity page works without the card
    }
  });
  document.getElementById("ui-card-close").addEventListener("click", close);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !card.hidden) close();
  });
})();
