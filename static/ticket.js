// "Solved it" and the other feedback buttons on the paste-a-ticket page.
const NEGATIVE = ["not_related", "did_not_answer"];  // as on the server: these take back every other verdict
document.querySelectorAll("#suggestions .feedback button").forEach((button) => {
  button.addEventListener("click", async () => {
    const box = button.closest(".feedback");
    const buttons = Array.from(box.querySelectorAll("button"));
    buttons.forEach((b) => { b.disabled = true; });  // one verdict at a time: a double click is no second one
    const data = new FormData();
    const outcome = button.dataset.outcome;
    data.append("article_id", box.dataset.articleId);
    data.append("outcome", outcome);
    const queryId = document.getElementById("suggestions").dataset.queryId;
    let ok = false;
    try {
      const response = await fetch(`/tickets/${queryId}/feedback`, {method: "POST", body: data,
        headers: {"X-CSRFToken": document.querySelector("input[name=csrf_token]").value}});
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
    }
  });
});
