// Search as you type: debounced, stale requests cancelled, the URL kept shareable; "/" focuses the box,
// arrow keys move through the results and Enter opens one at its section.
(function () {
  const form = document.querySelector("form.search");
  const box = document.getElementById("q");
  const region = document.getElementById("results-region");
  if (!form || !box || !region) return;
  let timer = null, inflight = null, active = -1;

  function links() { return Array.from(region.querySelectorAll("a.title")); }
  function mark(index) {
    const all = links();
    all.forEach((a, i) => a.closest("li").classList.toggle("active", i === index));
    if (all[index]) { all[index].focus(); active = index; }
  }
  async function run() {
    const params = new URLSearchParams(new FormData(form));
    history.replaceState(null, "", params.get("q") ? `?${params}` : location.pathname);
    if (inflight) inflight.abort();
    inflight = new AbortController();
    try {
      const response = await fetch(`/search/results?${params}`, {signal: inflight.signal});
      if (response.ok) { region.innerHTML = await response.text(); active = -1; }  // server-rendered, escaped
    } catch (err) { if (err.name !== "AbortError") throw err; }
  }
  form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(run, 150); });
  form.addEventListener("submit", (event) => { event.preventDefault(); clearTimeout(timer); run(); });
  document.addEventListener("keydown", (event) => {
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
    if (event.key === "/" && !typing) { event.preventDefault(); box.focus(); box.select(); return; }
    if (event.key === "ArrowDown" && links().length) { event.preventDefault(); mark(Math.min(active + 1, links().length - 1)); }
    if (event.key === "ArrowUp" && active >= 0) {
      event.preventDefault();
      if (active === 0) { box.focus(); active = -1; mark(-1); } else { mark(active - 1); }
    }
  });
})();
