// Backups pages: "now" buttons for datetime inputs, without inline scripts.
(() => {
  const pad = (n) => String(n).padStart(2, "0");
  // The server renders the user's UTC offset (seconds): the portal's time zone, which may
  // differ from the browser's.
  const nowIn = (offsetSeconds) => {
    const d = new Date(Date.now() + Number(offsetSeconds || 0) * 1000);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  };
  document.addEventListener("click", (event) => {
    const filler = event.target.closest("[data-fill-now]");
    if (filler) {
      const input = document.querySelector(filler.dataset.fillNow);
      if (input) input.value = nowIn(filler.dataset.offset);
    }
  });
})();
