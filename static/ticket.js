// "Solved it" and the other feedback buttons on the paste-a-ticket page.
document.querySelectorAll("#suggestions .feedback button").forEach((button) => {
  button.addEventListener("click", async () => {
    const box = button.closest(".feedback");
    const data = new FormData();
    data.append("article_id", box.dataset.articleId);
    data.append("outcome", button.dataset.outcome);
    const queryId = document.getElementById("suggestions").dataset.queryId;
    const response = await fetch(`/tickets/${queryId}/feedback`, {method: "POST", body: data,
      headers: {"X-CSRFToken": document.querySelector("input[name=csrf_token]").value}});
    box.querySelector(".feedback-status").textContent = response.ok ? "Thanks, recorded." : "Could not record.";
  });
});
