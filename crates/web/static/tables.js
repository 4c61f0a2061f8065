// Sortable tables (progressive enhancement): each column header becomes a
// button; numeric cells sort by their data-sort value, others by text.
(function () {
  for (const table of document.querySelectorAll("table.sortable")) {
    const heads = table.tHead.rows[0].cells;
    Array.from(heads).forEach((th, col) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "sort";
      b.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(b);
      b.addEventListener("click", () => {
        const desc = th.getAttribute("aria-sort") !== "descending";
        for (const h of heads) h.removeAttribute("aria-sort");
        th.setAttribute("aria-sort", desc ? "descending" : "ascending");
        const body = table.tBodies[0];
        const rows = Array.from(body.rows);
        const key = (r) => {
          const c = r.cells[col];
          const v = c.dataset.sort;
          return v === undefined ? c.textContent.trim() : parseFloat(v);
        };
        rows.sort((a, b) => {
          const x = key(a), y = key(b);
          const o = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
          return desc ? -o : o;
        });
        for (const r of rows) body.appendChild(r);
      });
    });
  }
})();
