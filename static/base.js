// Loaded by the pages that keep or clear browser state (search, article, editor, ticket, change request).
// What this browser keeps for the signed-in person (recent searches, unsaved editor text, the last ticket's
// suggestions) is theirs alone: another person signing in here does not get it.
(function () {
  const user = document.body.dataset.user;
  const OWNER = "kb.owner";
  if (user && localStorage.getItem(OWNER) !== user) {
    // Sign-out clears this browser's storage, but the editor writes its copy again on the save the ended
    // session refuses, naming whose text it is: that person's copy stays for them.
    const theirs = (key) => {
      try { return key.startsWith("kb.editor.") && (JSON.parse(localStorage.getItem(key)) || {}).user === user; }
      catch (err) { return false; }  // unreadable: not kept
    };
    Object.keys(localStorage).filter((key) => key.startsWith("kb.") && !theirs(key))
      .forEach((key) => localStorage.removeItem(key));
    Object.keys(sessionStorage).filter((key) => key.startsWith("kb.")).forEach((key) => sessionStorage.removeItem(key));
    localStorage.setItem(OWNER, user);
  }
  // Arrived from the editor at the article or a change request (not at an error page): the save went
  // through, so the editor's copies of the text it sent are spent.
  const landed = /^\/(articles\/[^/]+|changes\/\d+)$/.test(location.pathname) && !document.getElementById("editor");
  if (document.referrer && landed) {
    const from = new URL(document.referrer);
    if (from.origin === location.origin && /\/(edit|new)$/.test(from.pathname)) {
      Object.keys(localStorage).filter((key) => key.startsWith("kb.editor.")).forEach((key) => {
        if ((JSON.parse(localStorage.getItem(key)) || {}).sent) localStorage.removeItem(key);
      });
    }
  }
})();
