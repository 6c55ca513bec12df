// The book's page script: theme toggle, sidebar toggle, ←/→ keys, copy buttons, search, and
// live reload while serving.
(() => {
  const root = window.BOOK_ROOT || "";

  // Theme: book.toml's for the system's mode until the reader picks one, which is then remembered
  // across pages; the <head> script applies it before the first paint.
  document.getElementById("theme-toggle").addEventListener("click", () => {
    const next = document.documentElement.className === "dark" ? "light" : "dark";
    document.documentElement.className = next;
    localStorage.setItem("book-theme", next);
  });
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", (event) => {
    if (!localStorage.getItem("book-theme"))
      document.documentElement.className = window.BOOK_THEMES[event.matches ? "dark" : "light"];
  });

  // Sidebar: shown beside the page on wide screens, closed over it on narrow ones (so a phone
  // opens on the chapter's title); ☰ flips it, and a wide screen remembers the choice.
  const sidebar = document.getElementById("sidebar");
  const toggle = document.getElementById("sidebar-toggle");
  const narrow = matchMedia("(max-width: 800px)");
  const shown = () => getComputedStyle(sidebar).display !== "none";
  if (!narrow.matches && localStorage.getItem("book-sidebar") === "hidden") document.body.classList.add("sidebar-hidden");
  toggle.setAttribute("aria-expanded", String(shown()));
  toggle.addEventListener("click", () => {
    if (narrow.matches) document.body.classList.toggle("sidebar-shown");
    else localStorage.setItem("book-sidebar", document.body.classList.toggle("sidebar-hidden") ? "hidden" : "shown");
    toggle.setAttribute("aria-expanded", String(shown()));
  });
  document.addEventListener("click", (event) => {
    if (narrow.matches && !sidebar.contains(event.target) && !toggle.contains(event.target)) {
      document.body.classList.remove("sidebar-shown");
      toggle.setAttribute("aria-expanded", "false");
    }
  });
  // The current chapter in the middle of the sidebar, not below its fold.
  const active = sidebar.querySelector("a.active");
  if (active) sidebar.scrollTop = active.offsetTop - sidebar.clientHeight / 2;

  // ← and → go to the previous and next chapter (not while typing, nor with a modifier held).
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (event.target.closest?.("input, textarea, select, [contenteditable]")) return;
    const link = { ArrowLeft: "a[rel=prev]", ArrowRight: "a[rel=next]" }[event.key];
    const href = link && document.querySelector(link)?.href;
    if (href) location.href = href;
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
      ? hits.map((h, i) => `<a href="${root}${h.page}"${i === 0 ? ' class="selected"' : ""}>${escape(h.title)}<span class="snippet">${escape(h.teaser ?? "")}…</span></a>`).join("")
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
