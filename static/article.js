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
// Opened from a search result: the words its snippet marked are marked in the article as well.
(function () {
  let wanted = null;
  try {
    wanted = JSON.parse(sessionStorage.getItem("kb.highlight") || "null");
    sessionStorage.removeItem("kb.highlight");  // once: a reload or a later visit shows the article plain
  } catch (err) { return; }
  const body = document.querySelector(".body");
  if (!wanted || !body || wanted.path !== location.pathname) return;
  const words = Array.from(new Set(wanted.words.filter((w) => w.length > 1)));
  if (!words.length) return;
  const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(?:${escaped.join("|")})(?![\\p{L}\\p{N}])`, "giu");
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  const texts = [];
  while (walker.nextNode()) texts.push(walker.currentNode);
  texts.forEach((node) => {
    const text = node.nodeValue;
    const found = Array.from(text.matchAll(pattern));
    if (!found.length) return;
    const parts = document.createDocumentFragment();
    let at = 0;
    found.forEach((m) => {
      parts.append(text.slice(at, m.index));
      const mark = document.createElement("mark");
      mark.textContent = m[0];
      parts.append(mark);
      at = m.index + m[0].length;
    });
    parts.append(text.slice(at));
    node.replaceWith(parts);
  });
})();
