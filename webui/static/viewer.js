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

  // --- long documents: parts loaded as the reader reaches them, anchors into them, the
  // table of contents, find-in-document, and the `c` key (the passage's permalink) ---

  const pending = new Map(); // part number → its loading promise
  let stale = true; // the text changed (a part came) since find last read it

  function loadPart(stub) {
    const number = stub.dataset.part;
    if (!stub.classList.contains("part-stub")) return Promise.resolve(stub);
    if (pending.has(number)) return pending.get(number);
    const loading = fetch(stub.dataset.src)
      .then((response) => {
        if (!response.ok) throw new Error(response.statusText);
        return response.text();
      })
      .then((html) => {
        // the server's own rendering, escaped as the page itself is
        const holder = document.createElement("div");
        holder.innerHTML = html;
        const part = holder.firstElementChild;
        stub.replaceWith(part);
        if (observer) observer.unobserve(stub);
        stale = true;
        return part;
      })
      .finally(() => pending.delete(number));
    pending.set(number, loading);
    return loading;
  }

  function loadAll() {
    return Promise.all(Array.from(text.querySelectorAll(".part-stub"), loadPart));
  }

  const observer = "IntersectionObserver" in window && text.querySelector(".part-stub")
    ? new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (entry.isIntersecting) loadPart(entry.target).catch(() => {});
      }
    }, { rootMargin: "1200px 0px" })
    : null;
  if (observer) {
    text.classList.add("lazy");
    for (const stub of text.querySelectorAll(".part-stub")) observer.observe(stub);
  }

  // an anchor in a part not loaded yet: ask the server which part holds it, load it, go there
  async function reach(anchor) {
    if (!anchor || document.getElementById(anchor) || !text.dataset.parts) return;
    try {
      const response = await fetch(text.dataset.parts + encodeURIComponent(anchor));
      if (!response.ok) return;
      const where = await response.json();
      const stub = document.getElementById("ui-part-" + where.part);
      if (stub) await loadPart(stub);
      const target = document.getElementById(anchor);
      if (target) {
        target.scrollIntoView();
        target.classList.add("reached");
        setTimeout(() => target.classList.remove("reached"), 2500);
      }
    } catch (error) { /* the part links still work */ }
  }
  function hashAnchor() {
    try {
      return decodeURIComponent(window.location.hash.slice(1));
    } catch (error) {
      return "";
    }
  }
  window.addEventListener("hashchange", () => reach(hashAnchor()));
  reach(hashAnchor());

  // contents: folded on a narrow screen, where they stand above the text
  const toc = document.querySelector(".toc details");
  if (toc && window.matchMedia("(max-width: 60rem)").matches) toc.open = false;

  // contents: a link into another part goes there on this page (the ?part= link is for
  // readers without script)
  for (const link of document.querySelectorAll(".toc a[data-target]")) {
    link.addEventListener("click", (event) => {
      if (event.ctrlKey || event.metaKey || event.shiftKey) return;
      event.preventDefault();
      const anchor = link.dataset.target;
      if (hashAnchor() === anchor && document.getElementById(anchor)) {
        document.getElementById(anchor).scrollIntoView();
      } else {
        window.location.hash = anchor; // hashchange loads its part when needed
      }
    });
  }

  // find: the text's words folded (case, accents, final sigma), mapped back to text nodes
  const find = document.getElementById("ui-find");
  const input = document.getElementById("ui-find-input");
  const count = document.getElementById("ui-find-count");
  let segments = []; // {node, start, map}: map null when each folded unit is one of the node's
  let folded = "";
  let hits = [];
  let current = -1;
  const highlights = "highlights" in CSS && typeof Highlight === "function";

  function fold(value) {
    return value.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase().replace(/ς/g, "σ");
  }

  function collect() {
    segments = [];
    const pieces = [];
    let length = 0;
    const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT, {
      acceptNode: (node) => node.parentElement.closest("a.cite, .part-stub")
        ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
    });
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const value = node.nodeValue;
      let out = value.toLowerCase();
      let map = null;
      if (/[^\x00-\x7f]/.test(value) || out.length !== value.length) {
        const units = [];
        map = [];
        let offset = 0;
        for (const ch of value) {
          const f = fold(ch);
          units.push(f);
          for (let i = 0; i < f.length; i++) map.push(offset);
          offset += ch.length;
        }
        out = units.join("");
      }
      segments.push({ node, start: length, map });
      pieces.push(out);
      length += out.length;
    }
    folded = pieces.join("");
    stale = false;
  }

  function locate(index) {
    let low = 0;
    let high = segments.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (segments[middle].start <= index) low = middle; else high = middle - 1;
    }
    const segment = segments[low];
    const inner = index - segment.start;
    return { node: segment.node, offset: segment.map ? segment.map[inner] : inner };
  }

  function rangeOf(start, end) {
    const from = locate(start);
    const to = locate(end - 1);
    const range = document.createRange();
    range.setStart(from.node, from.offset);
    const last = to.node.nodeValue;
    const cp = last.codePointAt(to.offset);
    range.setEnd(to.node, Math.min(last.length, to.offset + (cp > 0xffff ? 2 : 1)));
    return range;
  }

  function paint() {
    // every match once per search; the current one at each step
    if (!highlights) return;
    CSS.highlights.delete("find");
    if (!hits.length) return;
    const all = new Highlight(); // (added one by one: a spread of 50,000 ranges is too many)
    for (const hit of hits) all.add(hit);
    CSS.highlights.set("find", all);
  }

  function showFound() {
    if (!input.value.trim()) {
      count.textContent = "";
    } else if (!hits.length) {
      count.textContent = "No matches";
    } else {
      count.textContent = (current + 1) + " of " + hits.length;
    }
    if (highlights) CSS.highlights.delete("find-current");
    if (current >= 0) {
      const hit = hits[current];
      if (highlights) CSS.highlights.set("find-current", new Highlight(hit));
      hit.startContainer.parentElement.scrollIntoView({ block: "center" });
      if (!highlights) {
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(hit);
      }
    }
  }

  let searched = "";
  async function search() {
    const words = fold(input.value.trim());
    if (words === searched && !stale) return;
    if (text.querySelector(".part-stub")) {
      count.textContent = "Loading the whole text…";
      await loadAll().catch(() => {});
    }
    if (stale) collect();
    searched = words;
    hits = [];
    current = -1;
    if (words) {
      const pattern = new RegExp(words.split(/\s+/).map(
        (word) => word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("\\s+"), "g");
      for (const match of folded.matchAll(pattern)) {
        hits.push(rangeOf(match.index, match.index + match[0].length));
      }
      current = hits.length ? 0 : -1;
    }
    paint();
    showFound();
  }

  function step(by) {
    if (!hits.length) return;
    current = (current + by + hits.length) % hits.length;
    showFound();
  }

  if (find) {
    find.hidden = false;
    let timer = null;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(search, 250);
    });
    input.addEventListener("keydown", async (event) => {
      if (event.key !== "Enter") return;
      event.preventDefault();
      clearTimeout(timer);
      const fresh = fold(input.value.trim()) !== searched || stale;
      await search();
      if (!fresh) step(event.shiftKey ? -1 : 1);
    });
    document.getElementById("ui-find-next").addEventListener("click", () => search().then(() => step(1)));
    document.getElementById("ui-find-prev").addEventListener("click", () => search().then(() => step(-1)));
  }

  // `c`: the permalink of the passage at the top of the screen, copied and shown
  const copied = document.getElementById("ui-copied");
  for (const hint of document.querySelectorAll(".js-only")) hint.hidden = false;

  function passageInView() {
    const top = 8;
    for (const cite of text.querySelectorAll("a.cite")) {
      const passage = cite.parentElement;
      const box = passage.getBoundingClientRect();
      if (box.bottom > top && box.height > 0) return passage;
    }
    return null;
  }

  document.addEventListener("keydown", async (event) => {
    if (event.key !== "c" || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    const passage = passageInView();
    if (!passage || !passage.id) return;
    const link = text.dataset.permalink + "#" + passage.id;
    let done = "Link shown";
    try {
      await navigator.clipboard.writeText(link);
      done = "Copied";
    } catch (error) { /* no clipboard here: the link is shown to select */ }
    copied.replaceChildren(done + ": ");
    const a = document.createElement("a");
    a.href = link;
    a.textContent = link;
    copied.append(a);
    copied.classList.add("shown");
    clearTimeout(copied.timer);
    copied.timer = setTimeout(() => copied.classList.remove("shown"), 6000);
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
