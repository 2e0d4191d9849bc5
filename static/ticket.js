// The paste-a-ticket page: suggestions fetched in place (so Back from an opened article returns to them, where
// a page rendered from a POST asks to resubmit), Ctrl+Enter to ask, and the feedback buttons.
(function () {
  const form = document.getElementById("ticket-form");
  const region = document.getElementById("ticket-results");
  if (!form || !region) return;
  const SAVED = "kb.ticketSuggestions";  // this tab only: gone when it closes
  const text = form.elements.text, subject = form.elements.subject;
  function keep() { sessionStorage.setItem(SAVED, JSON.stringify({text: text.value, subject: subject.value, html: region.innerHTML})); }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch(form.action, {method: "POST", body: new FormData(form)});
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById("ticket-results");
    region.innerHTML = fresh ? fresh.innerHTML : `<p class="error" role="alert">The suggestion failed (${response.status}). Try again.</p>`;
    keep();
    const first = region.querySelector("#suggestions a.title");
    (first || region).focus();
  });
  text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); form.requestSubmit(); }
  });
  const pasted = sessionStorage.getItem("kb.pastedTicket");  // a thread too long for the search box, sent here
  sessionStorage.removeItem("kb.pastedTicket");
  if (pasted && !text.value) { text.value = pasted; text.focus(); }
  // Back to this page without the browser's page cache: the last suggestions of this tab, if the box agrees.
  const saved = JSON.parse(sessionStorage.getItem(SAVED) || "null");
  if (saved && !region.querySelector("#suggestions") && (!text.value || text.value === saved.text)) {
    text.value = saved.text; subject.value = saved.subject; region.innerHTML = saved.html;
  }

  const NEGATIVE = ["not_related", "did_not_answer"];  // as on the server: these take back every other verdict
  region.addEventListener("click", async (event) => {
    const button = event.target.closest("#suggestions .feedback button");
    if (!button) return;
    const box = button.closest(".feedback");
    const buttons = Array.from(box.querySelectorAll("button"));
    buttons.forEach((b) => { b.disabled = true; });  // one verdict at a time: a double click is no second one
    const data = new FormData();
    const outcome = button.dataset.outcome;
    data.append("article_id", box.dataset.articleId);
    data.append("outcome", outcome);
    const queryId = region.querySelector("#suggestions").dataset.queryId;
    let ok = false;
    try {
      const response = await fetch(`/tickets/${queryId}/feedback`, {method: "POST", body: data,
        headers: {"X-CSRFToken": form.elements.csrf_token.value}});
      ok = response.ok;
    } finally {
      buttons.forEach((b) => {
        b.disabled = false;
        if (!ok) return;  // nothing changed on the server: neither here
        const taken = NEGATIVE.includes(outcome) || NEGATIVE.includes(b.dataset.outcome);
        if (b === button) b.setAttribute("aria-pressed", "true");
        else if (taken) b.setAttribute("aria-pressed", "false");
      });
      box.querySelector(".feedback-status").textContent = ok ? "Thanks, recorded." : "Could not record.";
      button.focus();  // disabling it dropped the focus to the page: a keyboard user stays where they were
      keep();
    }
  });
})();
