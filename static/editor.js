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
  // A page shown again after a refused save (invalid, conflict, forbidden) holds text that is not saved yet.
  dirty = form.dataset.unsaved === "1";
  let submitting = false;
  // A copy of the text in this browser: a session that ended meanwhile (sign-out elsewhere, the working day
  // over) refuses the save, and the sign-in page that follows would otherwise lose it.
  const base = form.querySelector("input[name=base_revision]");
  const KEY = `kb.editor.${form.dataset.draftKey}`;
  const FIELDS = ["title", "tags", "body"];
  function keepCopy() {
    const copy = {base: base ? base.value : "", at: new Date().toLocaleString(), sent: false,
                  user: document.body.dataset.user};
    FIELDS.forEach((name) => { copy[name] = form.elements[name].value; });
    localStorage.setItem(KEY, JSON.stringify(copy));
  }
  function offerCopy() {
    const copy = JSON.parse(localStorage.getItem(KEY) || "null");
    // Another person's text is never offered, even when their tab wrote it after this person signed in.
    if (!copy || copy.user !== document.body.dataset.user
        || FIELDS.every((name) => copy[name] === form.elements[name].value)) return;
    const note = document.getElementById("local-copy");
    note.querySelector("span").textContent = copy.at;
    note.hidden = false;
    note.addEventListener("click", (event) => {
      const choice = event.target.dataset.copy;
      if (!choice) return;
      if (choice === "restore") { FIELDS.forEach((name) => { form.elements[name].value = copy[name]; }); dirty = true; refresh(); }
      localStorage.removeItem(KEY);
      note.hidden = true;
    });
  }
  form.addEventListener("input", () => { dirty = true; clearTimeout(form.copyTimer); form.copyTimer = setTimeout(keepCopy, 500); });
  body.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(refresh, 250); });
  form.addEventListener("submit", (event) => {
    if (submitting) { event.preventDefault(); return; }  // a double click saves once
    submitting = true; dirty = false;
    keepCopy();
    const copy = JSON.parse(localStorage.getItem(KEY));
    copy.sent = true;
    localStorage.setItem(KEY, JSON.stringify(copy));
  });
  window.addEventListener("pageshow", () => { submitting = false; });  // Back to this page: it may save again
  offerCopy();
  window.addEventListener("beforeunload", (event) => { if (dirty) { event.preventDefault(); event.returnValue = ""; } });
  refresh();
})();
