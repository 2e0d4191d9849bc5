// Live preview (server-rendered through the same sanitiser) and a warning before leaving unsaved changes.
(function () {
  const form = document.getElementById("editor");
  if (!form) return;
  const body = document.getElementById("body");
  const preview = document.getElementById("preview");
  const token = form.querySelector("input[name=csrf_token]").value;
  let dirty = false, timer = null, inflight = null;

  async function refresh() {
    if (inflight) inflight.abort();
    inflight = new AbortController();
    const data = new FormData();
    data.append("body", body.value);
    try {
      const response = await fetch(form.dataset.previewUrl, {method: "POST", body: data, signal: inflight.signal,
                                                             headers: {"X-CSRFToken": token}});
      if (response.ok) preview.innerHTML = (await response.json()).html;  // sanitised by the server
    } catch (err) { if (err.name !== "AbortError") throw err; }
  }
  form.addEventListener("input", () => { dirty = true; });
  body.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(refresh, 250); });
  form.addEventListener("submit", () => { dirty = false; });
  window.addEventListener("beforeunload", (event) => { if (dirty) { event.preventDefault(); event.returnValue = ""; } });
  refresh();
})();
