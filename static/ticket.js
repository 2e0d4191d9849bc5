// "Solved it" and the other feedback buttons on the paste-a-ticket page.
document.querySelectorAll("#suggestions .feedback button").forEach((button) => {
  button.addEventListener("click", async () => {
    const box = button.closest(".feedback");
    const buttons = box.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });  // one verdict at a time: a double click is no second one
    const data = new FormData();
    data.append("article_id", box.dataset.articleId);
    data.append("outcome", button.dataset.outcome);
    const queryId = document.getElementById("suggestions").dataset.queryId;
    let ok = false;
    try {
      const response = await fetch(`/tickets/${queryId}/feedback`, {method: "POST", body: data,
        headers: {"X-CSRFToken": document.querySelector("input[name=csrf_token]").value}});
      ok = response.ok;
    } finally {
      buttons.forEach((b) => { b.disabled = false; b.setAttribute("aria-pressed", String(ok && b === button)); });
      box.querySelector(".feedback-status").textContent = ok ? "Thanks, recorded." : "Could not record.";
    }
  });
});
