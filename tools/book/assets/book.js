// The book's page script: theme toggle, copy buttons, search, and live reload while serving.
(() => {
  const root = window.BOOK_ROOT || "";

  // Theme: remembered across pages; the <head> script applies it before the first paint.
  document.getElementById("theme-toggle").addEventListener("click", () => {
    const next = document.documentElement.className === "dark" ? "light" : "dark";
    document.documentElement.className = next;
    localStorage.setItem("book-theme", next);
  });

  // A copy button on every code block.
  for (const pre of document.querySelectorAll("#content pre")) {
    const button = document.createElement("button");
    button.className = "copy";
    button.type = "button";
    button.textContent = "Copy";
    button.addEventListener("click", async () => {
      const code = pre.querySelector("code")?.innerText ?? pre.innerText;
      try {
        await navigator.clipboard.writeText(code);
        button.textContent = "Copied";
      } catch {
        button.textContent = "Press Ctrl+C";
        const range = document.createRange();
        range.selectNodeContents(pre.querySelector("code") ?? pre);
        getSelection().removeAllRanges();
        getSelection().addRange(range);
      }
      setTimeout(() => (button.textContent = "Copy"), 1500);
    });
    pre.appendChild(button);
  }

  // Search: the index is built at build time and loaded on first use.
  const input = document.getElementById("search");
  const results = document.getElementById("search-results");
  const options = window.BOOK_SEARCH_OPTIONS; // the options the index was built with
  let index = null;
  const loadIndex = async () => (index ??= MiniSearch.loadJSON(await (await fetch(root + "searchindex.json")).text(), options));
  const escape = (s) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  async function show() {
    const query = input.value.trim();
    if (!query) return void (results.hidden = true);
    const hits = (await loadIndex()).search(query).slice(0, 12);
    results.innerHTML = hits.length
      ? hits.map((h, i) => `<a href="${root}${h.page}"${i === 0 ? ' class="selected"' : ""}>${escape(h.title)}<span class="snippet">${escape(h.terms.join(", "))}</span></a>`).join("")
      : `<div class="empty">No results for “${escape(query)}”</div>`;
    results.hidden = false;
  }
  input.addEventListener("focus", loadIndex, { once: true });
  input.addEventListener("input", show);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") results.hidden = true;
    if (event.key === "Enter") results.querySelector("a")?.click();
  });
  document.addEventListener("click", (event) => {
    if (!results.contains(event.target) && event.target !== input) results.hidden = true;
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "/" && document.activeElement !== input) {
      event.preventDefault();
      input.focus();
    }
  });

  // While `npm run book` serves the book, reload when a chapter or an included file changes.
  if (window.BOOK_LIVE_RELOAD) new EventSource("/__livereload").addEventListener("reload", () => location.reload());
})();
