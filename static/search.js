// Search as you type: debounced, stale requests cancelled, the URL kept shareable; "/" focuses the box,
// arrow keys move through the results and Enter opens one at its section. The box is a textarea, so a pasted
// e-mail keeps its lines; Enter searches, Shift+Enter starts a new line.
(function () {
  const form = document.querySelector("form.search");
  const box = document.getElementById("q");
  const region = document.getElementById("results-region");
  const clear = document.getElementById("clear-q");
  if (!form || !box || !region) return;
  let timer = null, inflight = null, active = -1;
  let focusFirst = false;  // ArrowDown pressed before the results for the newest text arrived
  const MAX_URL = 4000;
  const MAX_CHARS = Number(box.dataset.maxChars || 10000);

  const RECENT = "kb.recentSearches";
  let rememberTimer = null;
  function remember(query) {  // per browser: an agent's own recent searches never leave the machine
    clearTimeout(rememberTimer); rememberTimer = null;
    if (!query || query.length > 80 || query.includes("\n")) return;  // a pasted e-mail is no search to repeat
    // Typing "PAY-2051" passes through "PAY-20": a query that grew out of an earlier one replaces it.
    const recent = JSON.parse(localStorage.getItem(RECENT) || "[]")
      .filter((q) => q !== query && !query.startsWith(q));
    localStorage.setItem(RECENT, JSON.stringify([query, ...recent].slice(0, 8)));
  }
  function rememberSoon(query) {  // kept once the agent stops typing, or opens a result
    clearTimeout(rememberTimer);
    rememberTimer = setTimeout(() => remember(query), 1500);
  }
  function showRecent() {
    const box = document.getElementById("recent");
    const recent = JSON.parse(localStorage.getItem(RECENT) || "[]");
    if (!box || !recent.length) return;
    const list = box.querySelector("ul");
    list.replaceChildren(...recent.map((q) => {
      const item = document.createElement("li"), link = document.createElement("a");
      link.href = `?q=${encodeURIComponent(q)}`; link.textContent = q;  // textContent: never parsed as HTML
      item.append(link); return item;
    }));
    box.hidden = false;
  }
  const status = document.getElementById("search-status");
  function announce(element) { if (status) status.textContent = element ? element.textContent : ""; }
  function links() { return Array.from(region.querySelectorAll("a.title")); }
  function mark(index) {
    const all = links();
    all.forEach((a, i) => a.closest("li").classList.toggle("active", i === index));
    if (all[index]) { all[index].focus(); active = index; }
  }
  async function run() {
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) {  // keep the shared URL short: only what is set
      if (value && !(key === "mode" && value === "hybrid")) params.append(key, value);
    }
    if (inflight) inflight.abort();
    // Servers refuse request lines over 4 KB (gunicorn, nginx), and the search box takes MAX_CHARS (a pasted
    // message is POSTed, so only that counts for it): a longer thread goes to the ticket page.
    const pasted = (params.get("q") || "").includes("\n");
    if (pasted ? box.value.trim().length > MAX_CHARS : `/search/results?${params}`.length > MAX_URL) {
      region.replaceChildren(document.getElementById("too-long-note").content.cloneNode(true));
      active = -1;
      // The ticket page reads whole threads: the link takes the text along, so it need not be pasted again.
      region.querySelector("a[href$='/tickets']").addEventListener("click", () => {
        sessionStorage.setItem("kb.pastedTicket", box.value);
      });
      return;
    }
    // A pasted message (several lines) holds a customer's name, address, phone: it is POSTed, and neither the
    // address bar nor a server's access log gets it; the tab's own history entry keeps it, so Back returns to
    // it. Typed words stay in the shareable URL.
    const shown = new URLSearchParams(params);
    if (pasted) shown.delete("q");
    history.replaceState(pasted ? {q: params.get("q")} : null, "", shown.get("q") || pasted ? `?${shown}` : location.pathname);
    const request = inflight = new AbortController();
    try {
      const body = new FormData();
      body.append("q", params.get("q") || "");
      const token = document.querySelector("meta[name=csrf-token]").content;
      const response = await fetch(`/search/results?${pasted ? shown : params}`, pasted
        ? {method: "POST", body, signal: request.signal, headers: {"X-CSRFToken": token}}
        : {signal: request.signal});
      const hadFocus = region.contains(document.activeElement);
      if (response.ok) {
        region.innerHTML = await response.text();  // server-rendered, escaped
        active = -1;
        // Focus was on a result that is gone now: put it on the new first result, or back in the box.
        if (focusFirst && links().length) mark(0); else if (hadFocus) box.focus();
        focusFirst = false;
        if (region.querySelector("#results a.title")) rememberSoon(params.get("q")); else showRecent();
        announce(region.querySelector("#result-count, .notice"));
      } else {  // say so: an agent on a call must never be left looking at the old results
        const note = document.createElement("p");
        note.className = "notice"; note.setAttribute("role", "alert");
        note.textContent = `The search failed (${response.status} ${response.statusText}). Try again or reload the page.`;
        region.replaceChildren(note);
        active = -1;
      }
    } catch (err) { if (err.name !== "AbortError") throw err; }
    finally { if (inflight === request) inflight = null; }
  }
  // Back to a pasted message's results: its text was kept in this history entry, not in the address.
  if (!box.value.trim() && history.state && history.state.q) { box.value = history.state.q; run(); } else showRecent();
  // Searches count as popular when they led somewhere: an agent opened a result (and analytics logs the click).
  region.addEventListener("click", (event) => {
    const link = event.target.closest("#results a.title");
    if (!link || !box.value.trim()) return;
    // The words the snippet marked are marked in the article too (article.js), kept out of its shareable URL.
    const words = Array.from(link.closest("li").querySelectorAll(".snippet mark"), (m) => m.textContent.trim());
    try {
      sessionStorage.setItem("kb.highlight", JSON.stringify({path: new URL(link.href).pathname, words}));
    } catch (err) { /* storage off: the article opens unmarked */ }
    remember(box.value.trim());
    const data = new FormData();
    data.append("log", region.querySelector("#results").dataset.log || "");  // the logged search it came from
    data.append("article", link.dataset.id || "");
    const token = document.querySelector("meta[name=csrf-token]").content;
    fetch("/search/opened", {method: "POST", body: data, keepalive: true, headers: {"X-CSRFToken": token}});
  });
  form.addEventListener("input", () => {
    clearTimeout(timer); clearTimeout(rememberTimer);
    timer = setTimeout(() => { timer = null; run(); }, 150);
  });
  form.addEventListener("submit", (event) => { event.preventDefault(); clearTimeout(timer); timer = null; run(); });
  function clearBox() {  // back to an empty box and the recent searches, ready for the next caller's words
    box.value = ""; box.dispatchEvent(new Event("input", {bubbles: true})); box.focus();
  }
  if (clear) {
    const showClear = () => { clear.hidden = !box.value; };
    box.addEventListener("input", showClear); showClear();
    clear.addEventListener("click", clearBox);
  }
  box.addEventListener("keydown", (event) => {
    if (event.isComposing) return;
    if (event.key === "Escape" && box.value) {  // as the search input it replaced: clear, back to recent searches
      event.preventDefault(); clearBox();
    }
    if (event.key !== "Enter" || event.shiftKey) return;
    event.preventDefault(); form.requestSubmit();
  });
  if (!CSS.supports("field-sizing", "content")) {  // grow with a pasted e-mail where CSS cannot
    const fit = () => { box.style.height = "auto"; box.style.height = `${box.scrollHeight + 2}px`; };
    box.addEventListener("input", fit); fit();
  }
  box.addEventListener("focus", () => {  // back in the box: the next ArrowDown starts at the first result
    active = -1;
    links().forEach((a) => a.closest("li").classList.remove("active"));
  });
  document.addEventListener("keydown", (event) => {
    const focused = document.activeElement;
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(focused.tagName);
    if (event.key === "/" && !typing) { event.preventDefault(); box.focus(); box.select(); return; }
    // A letter typed while a result has focus goes on in the box, not into nothing.
    if (region.contains(focused) && event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
      box.focus(); box.setSelectionRange(box.value.length, box.value.length); return;
    }
    // Arrow keys belong to the filters' own inputs and selects; only the box and the results hand them over.
    if (focused !== box && !region.contains(focused)) return;
    // In a pasted e-mail (or a long line wrapped on screen) ArrowDown moves the caret; from the end of the text it
    // goes on to the results, as the caret reaches the end on the last line.
    if (event.key === "ArrowDown" && focused === box && box.selectionEnd < box.value.length) return;
    if (event.key === "ArrowDown" && focused === box && (timer || inflight)) {
      // The results on screen are for older text: search now and land on the first of the new ones.
      event.preventDefault(); focusFirst = true;
      if (timer) { clearTimeout(timer); timer = null; run(); }
      return;
    }
    if (event.key === "ArrowDown" && links().length) { event.preventDefault(); mark(Math.min(active + 1, links().length - 1)); }
    if (event.key === "ArrowUp" && active >= 0) {
      event.preventDefault();
      if (active === 0) { box.focus(); active = -1; mark(-1); } else { mark(active - 1); }
    }
  });
})();
