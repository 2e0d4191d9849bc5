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
