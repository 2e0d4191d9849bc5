// Copy a section's link: the "#" beside every heading copies its full URL.
document.querySelectorAll(".body a.headerlink").forEach((link) => {
  link.addEventListener("click", async (event) => {
    event.preventDefault();
    const url = new URL(link.getAttribute("href"), location.href).href;
    history.replaceState(null, "", url);
    try { await navigator.clipboard.writeText(url); link.textContent = "copied"; } catch (err) { /* still linked */ }
    setTimeout(() => { link.textContent = "#"; }, 1500);
  });
});
// "Was this helpful?" answered in place: the reader keeps their place and Back still leaves the article.
const helpful = document.querySelector("form.helpful");
if (helpful) {
  helpful.addEventListener("submit", async (event) => {
    if (!event.submitter) return;
    event.preventDefault();
    const data = new FormData(helpful);
    data.append(event.submitter.name, event.submitter.value);
    const response = await fetch(helpful.action, {method: "POST", body: data});
    if (!response.ok) { helpful.submit(); return; }  // the plain form says what went wrong
    const thanks = document.createElement("span");
    thanks.setAttribute("role", "status"); thanks.textContent = "Thanks for the feedback.";
    // The button pressed goes away: focus the thanks, or a keyboard user is dropped at the top of the page.
    thanks.tabIndex = -1;
    helpful.replaceChildren(thanks);
    thanks.focus();
  });
}
// "/" goes back to search from an article, as it focuses the box on the search page.
document.addEventListener("keydown", (event) => {
  const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
  if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
    event.preventDefault(); location.href = "/";
  }
});
